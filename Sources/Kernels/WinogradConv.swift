/// Winograd convolution F(2x2, 3x3): 3x3 layers at stride 1 in 16 multiplications per 2 x 2
/// output pixels and input-output channel pair instead of 36.
///
/// Each 2 x 2 block of output pixels (a tile) reads a 4 x 4 input patch `d`. With the transforms
/// of Lavin and Gray ("Fast Algorithms for Convolutional Neural Networks", 2015),
/// `Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A`: the weight's 3 x 3 filters become 4 x 4 (`G g Gᵀ`,
/// once, at load), each tile's patch becomes 4 x 4 values per channel (`Bᵀ d B`: additions only),
/// and the sum over input channels is 16 matrix products, one per position ξ of the 4 x 4:
/// `M_ξ (tiles x OC) = V_ξ (tiles x C) · U_ξ (C x OC)`, on the direct tiles (`V_ξ` read in
/// place, 12 tiles a tile-call, as a pointwise layer's pixels are). `Aᵀ M A` gives the 2 x 2
/// outputs (additions only), then the bias and activation.
///
/// The transforms' coefficients are 0, ±1 and ±1/2, so the floats differ from the direct sum's by
/// rounding only: a few 1e-6 relative in a C prototype (512 channels); VGG16's and InceptionV3's
/// probabilities stay within the parity tests' 1e-4 of torchvision's. The sum for a tile does not
/// depend on which chunk or thread computes it, so every thread count gives the same floats. Measured as a C loop on one core of
/// the 2-core AMD Zen 5 VM (docs/performance.md), against the direct tiles on the same layer:
/// 1.46x faster at 224 x 224 x 64, 1.73x at 112 x 112 x 128, 1.64x at 56 x 56 x 256, 1.52x at
/// 28 x 28 x 512, 1.36x at 14 x 14 x 512 (one image).

/// Tiles (2 x 2 output pixels) a chunk transforms and multiplies at a time: 8 row panels of 12,
/// so that a 32-column panel of `U_ξ` is read for 8 tile-calls, while `V` and `M` (16 x 96 x
/// channels floats each) stay in L2 or L3.
let winogradChunkTiles = 96

extension ConvGeometry {
    /// Whether the layer's shape allows `conv2dWinograd`: one group, 3x3 at stride 1, input
    /// channels a multiple of 16 (the transforms' vectors) and at least 32, output channels a
    /// multiple of 32 (whole panels). small_cnn's 16-channel layer took 0.22 ms by Winograd at
    /// batch 1 against 0.11 fused with its pooling (two threads, Zen 5 VM).
    public var prefersWinograd: Bool {
        strideHeight == 1 && strideWidth == 1 && WinogradWeight.fits(
            kernel: (kernelHeight, kernelWidth), inputChannels: inputChannels, outputChannels: outputChannels, groups: groups)
    }

    /// 2 x 2 output tiles: down and across an image, and over the batch.
    var winogradTiles: (down: Int, across: Int, count: Int) {
        let (down, across) = ((outputHeight + 1) / 2, (outputWidth + 1) / 2)
        return (down, across, batch * down * across)
    }
}

/// A 3x3 weight transformed for `conv2dWinograd`: `U_ξ = G g Gᵀ` for each of the 16 positions ξ,
/// as `16 x (OC / 32) x C x 32` floats (each position's matrix in 32-column panels, the layout
/// of the direct tiles' B).
public struct WinogradWeight: Sendable {
    public let inputChannels: Int, outputChannels: Int
    let values: [Float]

    /// Whether a weight of this shape is worth transforming: the shape conditions of
    /// `ConvGeometry.prefersWinograd`, which also asks for stride 1.
    public static func fits(kernel: (Int, Int), inputChannels: Int, outputChannels: Int, groups: Int) -> Bool {
        groups == 1 && kernel == (3, 3) && inputChannels >= 32 && inputChannels % 16 == 0 && outputChannels % 32 == 0
    }

    /// Transforms an HWIO weight `3 x 3 x C x OC` (OC a multiple of 32).
    public init(hwio weight: UnsafePointer<Float>, inputChannels: Int, outputChannels: Int) {
        precondition(outputChannels % 32 == 0, "Winograd weights come in whole 32-column panels")
        (self.inputChannels, self.outputChannels) = (inputChannels, outputChannels)
        let (c, k) = (inputChannels, outputChannels)
        let panels = k / 32
        values = [Float](unsafeUninitializedCapacity: 16 * c * k) { buffer, count in
            for channel in 0..<c {
                for output in 0..<k {
                    func g(_ i: Int, _ j: Int) -> Float { weight[((i * 3 + j) * c + channel) * k + output] }
                    // Row i of G g (G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]) times Gᵀ, at positions 4i ..< 4i + 4.
                    func store(_ i: Int, _ e0: Float, _ e1: Float, _ e2: Float) {
                        let values = (e0, 0.5 * (e0 + e1 + e2), 0.5 * (e0 - e1 + e2), e2)
                        let base = ((4 * i * panels + output / 32) * c + channel) * 32 + output % 32
                        let position = panels * c * 32
                        buffer[base] = values.0
                        buffer[base + position] = values.1
                        buffer[base + 2 * position] = values.2
                        buffer[base + 3 * position] = values.3
                    }
                    store(0, g(0, 0), g(0, 1), g(0, 2))
                    store(1, 0.5 * (g(0, 0) + g(1, 0) + g(2, 0)), 0.5 * (g(0, 1) + g(1, 1) + g(2, 1)), 0.5 * (g(0, 2) + g(1, 2) + g(2, 2)))
                    store(2, 0.5 * (g(0, 0) - g(1, 0) + g(2, 0)), 0.5 * (g(0, 1) - g(1, 1) + g(2, 1)), 0.5 * (g(0, 2) - g(1, 2) + g(2, 2)))
                    store(3, g(2, 0), g(2, 1), g(2, 2))
                }
            }
            count = 16 * c * k
        }
    }
}

/// The direct tiles `conv2dForward` runs a layer with Winograd weight `weight` on, or nil when it
/// takes another path: no such weight, a shape that does not allow it (`prefersWinograd`), no
/// direct tiles in the kernel set, or fewer tiles than a chunk for every thread (VGG16's 14 x 14
/// layers at batch 1, 49 tiles, where each thread would read the whole 16 MB `U` for few tiles).
func winogradTiles(_ g: ConvGeometry, weight: WinogradWeight?) -> Tiles.DirectFunction? {
    guard let weight, g.prefersWinograd, weight.inputChannels == g.inputChannels,
          weight.outputChannels == g.outputChannels, let direct = activeTiles.direct,
          g.winogradTiles.count >= winogradChunkTiles * kernelThreadCount else { return nil }
    return direct.wide
}

/// `conv2dForward` by Winograd F(2x2, 3x3) (see the top of this file), on the direct tile `tile`:
/// the tiles, in image-row order over the batch, go in chunks of about `winogradChunkTiles`
/// spread over the threads; each chunk is transformed into `V` (`16 x tiles x C`), multiplied into
/// `M` (`16 x tiles x OC`) and transformed back into output pixels.
func conv2dWinograd(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight: WinogradWeight, bias: UnsafePointer<Float>?, geometry g: ConvGeometry, activation: Activation,
    tile: Tiles.DirectFunction
) {
    let (c, k) = (g.inputChannels, g.outputChannels)
    let total = g.winogradTiles.count
    let chunks = max(kernelThreadCount, (total + winogradChunkTiles - 1) / winogradChunkTiles)
    let chunkTiles = (total + chunks - 1) / chunks
    let rows = (chunkTiles + microTileRows - 1) / microTileRows * microTileRows
    weight.values.withUnsafeBufferPointer { u in
        let u = u.baseAddress!
        parallelChunks(chunks) { range in
            withScratch(count: 16 * rows * (c + k) + c) { scratch in
                let v = scratch, m = scratch + 16 * rows * c, zeros = m + 16 * rows * k
                zeros.update(repeating: 0, count: c)
                for chunk in range {
                    let tiles = (chunk * chunkTiles)..<min(total, (chunk + 1) * chunkTiles)
                    guard !tiles.isEmpty else { continue }
                    // Rows past the chunk's last tile: zeros in V, products dropped.
                    for row in tiles.count..<rows {
                        for xi in 0..<16 { (v + (xi * rows + row) * c).update(repeating: 0, count: c) }
                    }
                    for (row, t) in tiles.enumerated() {
                        winogradInputTile(t, into: v + row * c, rowStride: rows * c, input: input, zeros: zeros, geometry: g)
                    }
                    for xi in 0..<16 {
                        for panel in 0..<(k / 32) {
                            let b = u + ((xi * (k / 32) + panel) * c) * 32
                            for first in stride(from: 0, to: rows, by: microTileRows) {
                                tile(1, Int64(c), v + (xi * rows + first) * c, 0, Int64(c), b,
                                     m + (xi * rows + first) * k + panel * 32, Int64(k), nil, Activation.identity.tileCode, nil, 0)
                            }
                        }
                    }
                    for (row, t) in tiles.enumerated() {
                        winogradOutputTile(t, from: m + row * k, rowStride: rows * k, output: output, outputPixelStride: ldo,
                                           bias: bias, geometry: g, activation: activation)
                    }
                }
            }
        }
    }
}

/// `Bᵀ d B` of tile `t`'s 4 x 4 input patch (zeros outside the image), every channel: position
/// ξ's `C` values at `v + ξ · rowStride`. Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
@inline(__always)
private func winogradInputTile(
    _ t: Int, into v: UnsafeMutablePointer<Float>, rowStride: Int, input: UnsafePointer<Float>,
    zeros: UnsafePointer<Float>, geometry g: ConvGeometry
) {
    typealias Vector = SIMD16<Float>
    let (down, across, _) = g.winogradTiles
    let (image, tileRow, tileColumn) = (t / (down * across), t / across % down, t % across)
    let top = 2 * tileRow - g.padding.top, left = 2 * tileColumn - g.padding.left
    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 16) { patch in
        for i in 0..<4 {
            for j in 0..<4 {
                let (y, x) = (top + i, left + j)
                patch[i * 4 + j] = y >= 0 && y < g.inputHeight && x >= 0 && x < g.inputWidth
                    ? input + ((image * g.inputHeight + y) * g.inputWidth + x) * g.inputChannels : zeros
            }
        }
        for channel in stride(from: 0, to: g.inputChannels, by: Vector.scalarCount) {
            func d(_ i: Int, _ j: Int) -> Vector { UnsafeRawPointer(patch[i * 4 + j] + channel).loadUnaligned(as: Vector.self) }
            func put(_ position: Int, _ value: Vector) {
                UnsafeMutableRawPointer(v + position * rowStride + channel).storeBytes(of: value, as: Vector.self)
            }
            /// Row `i` of `Bᵀ d` (e0...e3) times B, at positions 4i ..< 4i + 4.
            func store(_ i: Int, _ e0: Vector, _ e1: Vector, _ e2: Vector, _ e3: Vector) {
                put(4 * i, e0 - e2)
                put(4 * i + 1, e1 + e2)
                put(4 * i + 2, e2 - e1)
                put(4 * i + 3, e1 - e3)
            }
            let (a0, a1, a2, a3) = (d(0, 0), d(0, 1), d(0, 2), d(0, 3))
            let (b0, b1, b2, b3) = (d(1, 0), d(1, 1), d(1, 2), d(1, 3))
            let (c0, c1, c2, c3) = (d(2, 0), d(2, 1), d(2, 2), d(2, 3))
            let (f0, f1, f2, f3) = (d(3, 0), d(3, 1), d(3, 2), d(3, 3))
            store(0, a0 - c0, a1 - c1, a2 - c2, a3 - c3)
            store(1, b0 + c0, b1 + c1, b2 + c2, b3 + c3)
            store(2, c0 - b0, c1 - b1, c2 - b2, c3 - b3)
            store(3, b0 - f0, b1 - f1, b2 - f2, b3 - f3)
        }
    }
}

/// `Aᵀ M A` of tile `t` (position ξ's `OC` sums at `m + ξ · rowStride`), plus the bias, through
/// the activation, into the tile's output pixels inside the image. Aᵀ = [1 1 1 0; 0 1 -1 -1].
@inline(__always)
private func winogradOutputTile(
    _ t: Int, from m: UnsafePointer<Float>, rowStride: Int, output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int,
    bias: UnsafePointer<Float>?, geometry g: ConvGeometry, activation: Activation
) {
    typealias Vector = SIMD16<Float>
    let (down, across, _) = g.winogradTiles
    let (image, tileRow, tileColumn) = (t / (down * across), t / across % down, t % across)
    for channel in stride(from: 0, to: g.outputChannels, by: Vector.scalarCount) {
        func s(_ xi: Int) -> Vector { UnsafeRawPointer(m + xi * rowStride + channel).loadUnaligned(as: Vector.self) }
        let b = bias.map { UnsafeRawPointer($0 + channel).loadUnaligned(as: Vector.self) } ?? Vector(repeating: -0.0)
        /// Output row `i` of the tile from row `i` of `Aᵀ M` (r0...r3): its products with A.
        func emit(_ i: Int, _ r0: Vector, _ r1: Vector, _ r2: Vector, _ r3: Vector) {
            let y = 2 * tileRow + i
            guard y < g.outputHeight else { return }
            func put(_ j: Int, _ value: Vector) {
                let x = 2 * tileColumn + j
                guard x < g.outputWidth else { return }
                var z = value + b
                switch activation {
                case .identity: break
                case .relu: z = z.replacing(with: 0, where: z .<= 0)
                case .relu6: z = z.replacing(with: 0, where: z .<= 0).replacing(with: 6, where: z .> 6)
                }
                UnsafeMutableRawPointer(output + ((image * g.outputHeight + y) * g.outputWidth + x) * ldo + channel)
                    .storeBytes(of: z, as: Vector.self)
            }
            put(0, r0 + r1 + r2)
            put(1, r1 - r2 - r3)
        }
        let (s4, s5, s6, s7) = (s(4), s(5), s(6), s(7))
        let (s8, s9, s10, s11) = (s(8), s(9), s(10), s(11))
        emit(0, s(0) + s4 + s8, s(1) + s5 + s9, s(2) + s6 + s10, s(3) + s7 + s11)
        emit(1, s4 - s8 - s(12), s5 - s9 - s(13), s6 - s10 - s(14), s7 - s11 - s(15))
    }
}
