/// Winograd convolution: 3x3 layers at stride 1 by F(2x2, 3x3), in 16 multiplications per 2 x 2
/// output pixels and input-output channel pair instead of 36; InceptionV3's 1x3 and 3x1 layers by
/// F(2, 3) along the kernel's long side, 4 per 2 output pixels instead of 6, and its 1x7 and 7x1
/// ones by F(2, 7), 8 instead of 14.
///
/// Each block of output pixels (a tile) reads an input patch `d`: 4 x 4 for F(2x2, 3x3), 4 or 8
/// pixels of a row or column for F(2, 3) and F(2, 7). With the transforms of Lavin and Gray ("Fast Algorithms for
/// Convolutional Neural Networks", 2015), `Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A` in 2-D and
/// `y = Aᵀ [Σ_c (G g) ⊙ (Bᵀ d)]` in 1-D: the weight's filters are transformed once, at load
/// (`WinogradWeight`), each tile's patch becomes one value per position ξ and channel (`Bᵀ d B`),
/// and the sum over input channels is one matrix product per position (16, 4 or 8):
/// `M_ξ (tiles x OC) = V_ξ (tiles x C) · U_ξ (C x OC)`, on the direct tiles (`V_ξ` read in
/// place, 12 tiles a tile-call, as a pointwise layer's pixels are). `Aᵀ M A` gives the outputs,
/// then the bias and activation.
///
/// F(2x2, 3x3)'s and F(2, 3)'s coefficients are 0, ±1 and ±1/2, so its floats differ from the direct sum's by
/// rounding only: a few 1e-6 relative in a C prototype (512 channels). F(2, 7) interpolates at
/// 0, ±1, ±2, ±1/2 and infinity (Bᵀ has 21/4 and 17/4, the matrix of F(6, 3)): about 3 times
/// the direct sum's rounding, 1e-6 of the largest output at 192 channels in a NumPy float32 check.
/// VGG16's and InceptionV3's probabilities stay within the parity tests' 1e-4 of torchvision's.
/// The sum for a tile does not depend on which chunk or thread computes it, so every thread count
/// gives the same floats. F(2x2, 3x3) measured as a C loop on one core of the 2-core AMD Zen 5 VM
/// (docs/performance.md), against the direct tiles on the same layer: 1.46x faster at 224 x 224 x
/// 64, 1.73x at 112 x 112 x 128, 1.64x at 56 x 56 x 256, 1.52x at 28 x 28 x 512, 1.36x at
/// 14 x 14 x 512 (one image).

/// Tiles a chunk transforms and multiplies at a time: 8 row panels of 12, so that a 32-column
/// panel of `U_ξ` is read for 8 tile-calls, while `V` and `M` (positions x 96 x channels floats
/// each) stay in L2 or L3.
let winogradChunkTiles = 96

/// The fewest tiles a layer runs by Winograd with: half a chunk for every thread. Fewer, and each
/// thread would read the whole `U` (16 MB for VGG16's 14 x 14 layers, 49 tiles at batch 1) for
/// a few tiles. InceptionV3's 8 x 8 3x3 layers at batch 8 (128 tiles) took 2.4 ms by Winograd
/// against 3.8 the direct way on two threads; its 1x7 and 7x1 layers at batch 1 (153) 0.31
/// against 0.37.
var winogradMinimumTiles: Int { winogradChunkTiles / 2 * kernelThreadCount }

/// The Winograd algorithms `conv2dWinograd` has, one per kernel shape.
public enum WinogradAlgorithm: Sendable, Equatable {
    /// F(2x2, 3x3) for 3x3 kernels: 2 x 2 output pixels from a 4 x 4 patch, 16 positions.
    case f2x2k3x3
    /// F(2, 3) along a row for 1x3 kernels: 1 x 2 output pixels from 1 x 4, 4 positions.
    case f2k1x3
    /// F(2, 3) down a column for 3x1 kernels: 2 x 1 output pixels from 4 x 1, 4 positions.
    case f2k3x1
    /// F(2, 7) along a row for 1x7 kernels: 1 x 2 output pixels from 1 x 8, 8 positions.
    case f2k1x7
    /// F(2, 7) down a column for 7x1 kernels: 2 x 1 output pixels from 8 x 1, 8 positions.
    case f2k7x1

    /// The algorithm for a kernel of `kernel` (height, width), or nil.
    public init?(kernel: (Int, Int)) {
        switch kernel {
        case (3, 3): self = .f2x2k3x3
        case (1, 3): self = .f2k1x3
        case (3, 1): self = .f2k3x1
        case (1, 7): self = .f2k1x7
        case (7, 1): self = .f2k7x1
        default: return nil
        }
    }

    /// The kernel's height and width.
    public var kernel: (height: Int, width: Int) {
        switch self {
        case .f2x2k3x3: (3, 3)
        case .f2k1x3: (1, 3)
        case .f2k3x1: (3, 1)
        case .f2k1x7: (1, 7)
        case .f2k7x1: (7, 1)
        }
    }

    /// Output pixels a tile gives, down and across.
    var tile: (height: Int, width: Int) {
        switch self {
        case .f2x2k3x3: (2, 2)
        case .f2k1x3, .f2k1x7: (1, 2)
        case .f2k3x1, .f2k7x1: (2, 1)
        }
    }

    /// Input pixels a tile reads, down and across.
    var patch: (height: Int, width: Int) { (tile.height + kernel.height - 1, tile.width + kernel.width - 1) }

    /// Positions ξ: the products per tile and channel pair.
    var positions: Int { patch.height * patch.width }

    /// G for the kernel's rows and for its columns (positions x taps each): `U = G_down g G_acrossᵀ`.
    var weightTransforms: (down: [[Double]], across: [[Double]]) {
        switch self {
        case .f2x2k3x3: (Self.g3, Self.g3)
        case .f2k1x3: ([[1]], Self.g3)
        case .f2k3x1: (Self.g3, [[1]])
        case .f2k1x7: ([[1]], Self.g7)
        case .f2k7x1: (Self.g7, [[1]])
        }
    }

    /// G of F(2, 3), points 0, 1, -1 and infinity, scaled as in Lavin and Gray.
    static let g3: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// G of F(2, 7): row ξ is `a^k / Π_{b ≠ a} (a - b)` over the finite points b, for the points
    /// a = 0, 1, -1, 2, -2, 1/2, -1/2, then (0, ..., 0, 1) for infinity. With `Bᵀ` in
    /// `winogradInputTile1D` and `Aᵀ` in `winogradOutputTile1D` (its columns `a^0, a^1`, and
    /// (0, 1) for infinity), `Aᵀ [(G g) ⊙ (Bᵀ d)]` is the correlation of 8 inputs with 7 taps.
    static let g7: [[Double]] = {
        let points: [Double] = [0, 1, -1, 2, -2, 0.5, -0.5]
        let finite = points.map { a in
            let scale = points.filter { $0 != a }.reduce(1) { $0 * (a - $1) }
            return (0..<7).map { k in (0..<k).reduce(1.0) { power, _ in power * a } / scale }
        }
        return finite + [[0, 0, 0, 0, 0, 0, 1]]
    }()
}

extension ConvGeometry {
    /// The Winograd algorithm the layer's shape allows for `conv2dWinograd`, or nil: stride 1 and
    /// the shape conditions of `WinogradWeight.algorithm`.
    public var winogradAlgorithm: WinogradAlgorithm? {
        guard strideHeight == 1, strideWidth == 1 else { return nil }
        return WinogradWeight.algorithm(kernel: (kernelHeight, kernelWidth), inputChannels: inputChannels,
                                        outputChannels: outputChannels, groups: groups)
    }

    /// Whether the layer's shape allows `conv2dWinograd` (`winogradAlgorithm`).
    public var prefersWinograd: Bool { winogradAlgorithm != nil }

    /// Tiles of `winogradAlgorithm` (none if nil): down and across an image, and over the batch.
    var winogradTiles: (down: Int, across: Int, count: Int) {
        guard let tile = winogradAlgorithm?.tile else { return (0, 0, 0) }
        let (down, across) = ((outputHeight + tile.height - 1) / tile.height, (outputWidth + tile.width - 1) / tile.width)
        return (down, across, batch * down * across)
    }
}

/// A weight transformed for `conv2dWinograd`: `U_ξ = G g Gᵀ` (or `G g` in 1-D) for each position
/// ξ, as `positions x (OC / 32) x C x 32` floats (each position's matrix in 32-column panels, the
/// layout of the direct tiles' B).
public struct WinogradWeight: Sendable {
    public let algorithm: WinogradAlgorithm
    public let inputChannels: Int, outputChannels: Int
    let values: [Float]

    /// The algorithm a weight of this shape is worth transforming for, or nil: one group, a
    /// 3x3, 1x7 or 7x1 kernel, input channels a multiple of 16 (the transforms' vectors) and at
    /// least 32, output channels a multiple of 32 (whole panels). small_cnn's 16-channel layer
    /// took 0.22 ms by Winograd at batch 1 against 0.11 fused with its pooling (two threads, Zen 5 VM).
    public static func algorithm(kernel: (Int, Int), inputChannels: Int, outputChannels: Int, groups: Int) -> WinogradAlgorithm? {
        guard groups == 1, inputChannels >= 32, inputChannels % 16 == 0, outputChannels % 32 == 0 else { return nil }
        return WinogradAlgorithm(kernel: kernel)
    }

    /// Transforms an HWIO weight `KH x KW x C x OC` (the algorithm's kernel; OC a multiple of 32).
    public init(hwio weight: UnsafePointer<Float>, algorithm: WinogradAlgorithm, inputChannels: Int, outputChannels: Int) {
        precondition(outputChannels % 32 == 0, "Winograd weights come in whole 32-column panels")
        (self.algorithm, self.inputChannels, self.outputChannels) = (algorithm, inputChannels, outputChannels)
        let (c, k) = (inputChannels, outputChannels)
        let (kh, kw) = algorithm.kernel
        let (down, across) = algorithm.weightTransforms
        let (positions, panels) = (algorithm.positions, k / 32)
        values = [Float](unsafeUninitializedCapacity: positions * c * k) { buffer, count in
            for channel in 0..<c {
                for output in 0..<k {
                    func g(_ i: Int, _ j: Int) -> Double { Double(weight[((i * kw + j) * c + channel) * k + output]) }
                    for (a, rowTransform) in down.enumerated() {
                        for (b, columnTransform) in across.enumerated() {
                            var sum = 0.0
                            for i in 0..<kh where rowTransform[i] != 0 {
                                for j in 0..<kw where columnTransform[j] != 0 { sum += rowTransform[i] * columnTransform[j] * g(i, j) }
                            }
                            let xi = a * across.count + b
                            buffer[((xi * panels + output / 32) * c + channel) * 32 + output % 32] = Float(sum)
                        }
                    }
                }
            }
            count = positions * c * k
        }
    }
}

/// The direct tiles `conv2dForward` runs a layer with Winograd weight `weight` on, or nil when it
/// takes another path: no such weight, a shape that does not allow it (`winogradAlgorithm`, the
/// weight's), no direct tiles in the kernel set, or fewer tiles than `winogradMinimumTiles`.
func winogradTiles(_ g: ConvGeometry, weight: WinogradWeight?) -> Tiles.DirectFunction? {
    guard let weight, g.winogradAlgorithm == weight.algorithm, weight.inputChannels == g.inputChannels,
          weight.outputChannels == g.outputChannels, let direct = activeTiles.direct,
          g.winogradTiles.count >= winogradMinimumTiles else { return nil }
    return direct.wide
}

/// `conv2dForward` by Winograd (see the top of this file), on the direct tile `tile`: the tiles,
/// in image-row order over the batch, go in chunks of about `winogradChunkTiles` (whole panels of
/// 12; as many chunks for every thread) spread over the threads; each chunk is transformed into
/// `V` (`positions x tiles x C`), multiplied into `M` (`positions x tiles x OC`) and transformed
/// back into output pixels.
func conv2dWinograd(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight: WinogradWeight, bias: UnsafePointer<Float>?, geometry g: ConvGeometry, activation: Activation,
    tile: Tiles.DirectFunction
) {
    let (c, k, algorithm) = (g.inputChannels, g.outputChannels, weight.algorithm)
    let positions = algorithm.positions
    // Chunks of whole 12-tile panels, as many for every thread: InceptionV3's 1x3 layers at batch
    // 8 (256 tiles) took 1.14 ms in 3 chunks of 86 tiles (one thread doing two), 0.80 in 4 of 64.
    let grid = WinogradGrid(algorithm: algorithm, geometry: g)
    let total = g.winogradTiles.count
    let panels = (total + microTileRows - 1) / microTileRows
    let chunkPanels = winogradChunkTiles / microTileRows
    let chunksPerThread = max(1, (panels + kernelThreadCount * chunkPanels - 1) / (kernelThreadCount * chunkPanels))
    let chunks = min(panels, kernelThreadCount * chunksPerThread)
    let rows = (panels + chunks - 1) / chunks * microTileRows
    weight.values.withUnsafeBufferPointer { u in
        let u = u.baseAddress!
        parallelChunks(chunks) { range in
            withScratch(count: positions * rows * (c + k) + c) { scratch in
                let v = scratch, m = scratch + positions * rows * c, zeros = m + positions * rows * k
                zeros.update(repeating: 0, count: c)
                for chunk in range {
                    let tiles = (panels * chunk / chunks * microTileRows)..<min(total, panels * (chunk + 1) / chunks * microTileRows)
                    guard !tiles.isEmpty else { continue }
                    // Rows past the chunk's last tile: zeros in V, products dropped.
                    for row in tiles.count..<rows {
                        for xi in 0..<positions { (v + (xi * rows + row) * c).update(repeating: 0, count: c) }
                    }
                    for (row, t) in tiles.enumerated() {
                        winogradPatch(t, grid: grid, input: input, zeros: zeros, geometry: g) { patch in
                            let (into, rowStride) = (v + row * c, rows * c)
                            switch algorithm {
                            case .f2x2k3x3: winogradInputF2x2k3x3(patch, into: into, rowStride: rowStride, channels: c)
                            case .f2k1x3, .f2k3x1: winogradInputF2k3(patch, into: into, rowStride: rowStride, channels: c)
                            case .f2k1x7, .f2k7x1: winogradInputF2k7(patch, into: into, rowStride: rowStride, channels: c)
                            }
                        }
                    }
                    for xi in 0..<positions {
                        for panel in 0..<(k / 32) {
                            let b = u + ((xi * (k / 32) + panel) * c) * 32
                            for first in stride(from: 0, to: rows, by: microTileRows) {
                                tile(1, Int64(c), v + (xi * rows + first) * c, 0, Int64(c), b,
                                     m + (xi * rows + first) * k + panel * 32, Int64(k), nil, Activation.identity.tileCode, nil, 0)
                            }
                        }
                    }
                    for (row, t) in tiles.enumerated() {
                        let out = WinogradOutput(tile: t, grid: grid, output: output, pixelStride: ldo, bias: bias, geometry: g,
                                                 activation: activation)
                        let (from, rowStride) = (m + row * k, rows * k)
                        switch algorithm {
                        case .f2x2k3x3: winogradOutputF2x2k3x3(from: from, rowStride: rowStride, channels: k, into: out)
                        case .f2k1x3, .f2k3x1: winogradOutputF2k3(from: from, rowStride: rowStride, channels: k, into: out)
                        case .f2k1x7, .f2k7x1: winogradOutputF2k7(from: from, rowStride: rowStride, channels: k, into: out)
                        }
                    }
                }
            }
        }
    }
}

/// A layer's tiles, worked out once a call: tile `t`'s image and first output pixel.
private struct WinogradGrid {
    let algorithm: WinogradAlgorithm
    let down: Int, across: Int

    init(algorithm: WinogradAlgorithm, geometry g: ConvGeometry) {
        (self.algorithm, down, across) = (algorithm, g.winogradTiles.down, g.winogradTiles.across)
    }

    /// Tile `t`'s image and the output row and column of its first pixel.
    @inline(__always)
    func origin(_ t: Int) -> (image: Int, top: Int, left: Int) {
        (t / (down * across), algorithm.tile.height * (t / across % down), algorithm.tile.width * (t % across))
    }
}

/// Calls `body` with tile `t`'s input patch: a pointer to each of its pixels' channels, row by
/// row (`zeros` for those outside the image).
@inline(__always)
private func winogradPatch(
    _ t: Int, grid: WinogradGrid, input: UnsafePointer<Float>, zeros: UnsafePointer<Float>, geometry g: ConvGeometry,
    _ body: (UnsafeMutablePointer<UnsafePointer<Float>>) -> Void
) {
    let patch = grid.algorithm.patch
    let (image, row, column) = grid.origin(t)
    let top = row - g.padding.top, left = column - g.padding.left
    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: patch.height * patch.width) { pointers in
        for i in 0..<patch.height {
            for j in 0..<patch.width {
                let (y, x) = (top + i, left + j)
                pointers[i * patch.width + j] = y >= 0 && y < g.inputHeight && x >= 0 && x < g.inputWidth
                    ? input + ((image * g.inputHeight + y) * g.inputWidth + x) * g.inputChannels : zeros
            }
        }
        body(pointers.baseAddress!)
    }
}

typealias WinogradVector = SIMD16<Float>

/// `Bᵀ d B` of a 4 x 4 patch (F(2x2, 3x3)), every channel: position ξ's `channels` values at
/// `v + ξ · rowStride`. Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
@inline(__always)
private func winogradInputF2x2k3x3(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    forEachChannelVector(patch, into: v, rowStride: rowStride, channels: channels) { d, put in
        /// Row `i` of `Bᵀ d` (e0...e3) times B, at positions 4i ..< 4i + 4.
        func store(_ i: Int, _ e0: WinogradVector, _ e1: WinogradVector, _ e2: WinogradVector, _ e3: WinogradVector) {
            put(4 * i, e0 - e2)
            put(4 * i + 1, e1 + e2)
            put(4 * i + 2, e2 - e1)
            put(4 * i + 3, e1 - e3)
        }
        let (a0, a1, a2, a3) = (d(0), d(1), d(2), d(3))
        let (b0, b1, b2, b3) = (d(4), d(5), d(6), d(7))
        let (c0, c1, c2, c3) = (d(8), d(9), d(10), d(11))
        let (f0, f1, f2, f3) = (d(12), d(13), d(14), d(15))
        store(0, a0 - c0, a1 - c1, a2 - c2, a3 - c3)
        store(1, b0 + c0, b1 + c1, b2 + c2, b3 + c3)
        store(2, c0 - b0, c1 - b1, c2 - b2, c3 - b3)
        store(3, b0 - f0, b1 - f1, b2 - f2, b3 - f3)
    }
}

/// `Bᵀ d` of a 4-pixel patch (F(2, 3)), every channel: position ξ's `channels` values at
/// `v + ξ · rowStride`. Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
@inline(__always)
private func winogradInputF2k3(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    forEachChannelVector(patch, into: v, rowStride: rowStride, channels: channels) { d, put in
        let (d0, d1, d2, d3) = (d(0), d(1), d(2), d(3))
        put(0, d0 - d2)
        put(1, d1 + d2)
        put(2, d2 - d1)
        put(3, d1 - d3)
    }
}

/// `Bᵀ d` of an 8-pixel patch (F(2, 7)), every channel: position ξ's `channels` values at
/// `v + ξ · rowStride`. The rows of Bᵀ (solved for the G of `WinogradAlgorithm.g7`):
/// [-1 0 21/4 0 -21/4 0 1 0], [0 1 1 -17/4 -17/4 1 1 0], [0 -1 1 17/4 -17/4 -1 1 0],
/// [0 1/2 1/4 -5/2 -5/4 2 1 0], [0 -1/2 1/4 5/2 -5/4 -2 1 0], [0 2 4 -5/2 -5 1/2 1 0],
/// [0 -2 4 5/2 -5 -1/2 1 0], [0 -1 0 21/4 0 -21/4 0 1]; rows 1 and 2, 3 and 4, 5 and 6 share
/// their even and odd halves.
@inline(__always)
private func winogradInputF2k7(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    forEachChannelVector(patch, into: v, rowStride: rowStride, channels: channels) { d, put in
        let (d0, d1, d2, d3, d4, d5, d6, d7) = (d(0), d(1), d(2), d(3), d(4), d(5), d(6), d(7))
        put(0, d6 - d0 + 5.25 * (d2 - d4))
        let (even1, odd1) = (d2 + d6 - 4.25 * d4, d1 + d5 - 4.25 * d3)
        put(1, even1 + odd1)
        put(2, even1 - odd1)
        let (even3, odd3) = (0.25 * d2 - 1.25 * d4 + d6, 0.5 * d1 - 2.5 * d3 + 2 * d5)
        put(3, even3 + odd3)
        put(4, even3 - odd3)
        let (even5, odd5) = (4 * d2 - 5 * d4 + d6, 2 * d1 - 2.5 * d3 + 0.5 * d5)
        put(5, even5 + odd5)
        put(6, even5 - odd5)
        put(7, d7 - d1 + 5.25 * (d3 - d5))
    }
}

/// Runs an input transform over the channels 16 at a time: `transform(load, store)`, where
/// `load(i)` gives patch pixel `i`'s 16 channels (pixels row by row) and `store(ξ, value)` puts
/// position ξ's at `v + ξ · rowStride`.
@inline(__always)
private func forEachChannelVector(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int,
    _ transform: (_ load: (Int) -> WinogradVector, _ store: (Int, WinogradVector) -> Void) -> Void
) {
    for channel in stride(from: 0, to: channels, by: WinogradVector.scalarCount) {
        transform({ UnsafeRawPointer(patch[$0] + channel).loadUnaligned(as: WinogradVector.self) },
                  { UnsafeMutableRawPointer(v + $0 * rowStride + channel).storeBytes(of: $1, as: WinogradVector.self) })
    }
}

/// Where a tile's outputs go: its pixels inside the image, plus the bias, through the activation.
private struct WinogradOutput {
    let output: UnsafeMutablePointer<Float>, pixelStride: Int, bias: UnsafePointer<Float>?, activation: Activation
    let image: Int, top: Int, left: Int, height: Int, width: Int
    /// Whether a 1-D algorithm's two outputs lie along a row (else down a column).
    let alongRow: Bool

    @inline(__always)
    init(tile t: Int, grid: WinogradGrid, output: UnsafeMutablePointer<Float>, pixelStride: Int, bias: UnsafePointer<Float>?,
         geometry g: ConvGeometry, activation: Activation) {
        (self.output, self.pixelStride, self.bias, self.activation) = (output, pixelStride, bias, activation)
        (image, top, left) = grid.origin(t)
        (height, width) = (g.outputHeight, g.outputWidth)
        alongRow = grid.algorithm.tile.height == 1
    }

    /// The bias of channels `channel ..< channel + 16` (-0 without one).
    @inline(__always)
    func bias(_ channel: Int) -> WinogradVector {
        bias.map { UnsafeRawPointer($0 + channel).loadUnaligned(as: WinogradVector.self) } ?? WinogradVector(repeating: -0.0)
    }

    /// Stores `value + bias` through the activation at the tile's pixel (i, j), channels
    /// `channel ..< channel + 16`, if that pixel is inside the image.
    @inline(__always)
    func put(_ i: Int, _ j: Int, channel: Int, _ value: WinogradVector, bias b: WinogradVector) {
        let (y, x) = (top + i, left + j)
        guard y < height, x < width else { return }
        var z = value + b
        switch activation {
        case .identity: break
        case .relu: z = z.replacing(with: 0, where: z .<= 0)
        case .relu6: z = z.replacing(with: 0, where: z .<= 0).replacing(with: 6, where: z .> 6)
        }
        UnsafeMutableRawPointer(output + ((image * height + y) * width + x) * pixelStride + channel)
            .storeBytes(of: z, as: WinogradVector.self)
    }

    /// The tile's pixel (i, j) of a 1-D algorithm's output `n` (0 or 1).
    @inline(__always)
    func pixel(_ n: Int) -> (Int, Int) { alongRow ? (0, n) : (n, 0) }

    /// Runs an output transform over the channels 16 at a time: `transform(load, put)`, where
    /// `load(ξ)` gives position ξ's 16 sums (at `m + ξ · rowStride`) and `put(i, j, value)` stores
    /// the tile's pixel (i, j) with the bias and activation.
    @inline(__always)
    func forEachChannelVector(
        from m: UnsafePointer<Float>, rowStride: Int, channels: Int,
        _ transform: (_ load: (Int) -> WinogradVector, _ put: (Int, Int, WinogradVector) -> Void) -> Void
    ) {
        for channel in stride(from: 0, to: channels, by: WinogradVector.scalarCount) {
            let b = bias(channel)
            transform({ UnsafeRawPointer(m + $0 * rowStride + channel).loadUnaligned(as: WinogradVector.self) },
                      { put($0, $1, channel: channel, $2, bias: b) })
        }
    }
}

/// `Aᵀ M A` of an F(2x2, 3x3) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into
/// its 2 x 2 output pixels. Aᵀ = [1 1 1 0; 0 1 -1 -1].
@inline(__always)
private func winogradOutputF2x2k3x3(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    typealias Vector = WinogradVector
    out.forEachChannelVector(from: m, rowStride: rowStride, channels: channels) { s, put in
        /// Output row `i` of the tile from row `i` of `Aᵀ M` (r0...r3): its products with A.
        func emit(_ i: Int, _ r0: Vector, _ r1: Vector, _ r2: Vector, _ r3: Vector) {
            put(i, 0, r0 + r1 + r2)
            put(i, 1, r1 - r2 - r3)
        }
        let (s4, s5, s6, s7) = (s(4), s(5), s(6), s(7))
        let (s8, s9, s10, s11) = (s(8), s(9), s(10), s(11))
        emit(0, s(0) + s4 + s8, s(1) + s5 + s9, s(2) + s6 + s10, s(3) + s7 + s11)
        emit(1, s4 - s8 - s(12), s5 - s9 - s(13), s6 - s10 - s(14), s7 - s11 - s(15))
    }
}

/// `Aᵀ M` of an F(2, 3) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into its two
/// output pixels. Aᵀ = [1 1 1 0; 0 1 -1 -1].
@inline(__always)
private func winogradOutputF2k3(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    let (first, second) = (out.pixel(0), out.pixel(1))
    out.forEachChannelVector(from: m, rowStride: rowStride, channels: channels) { s, put in
        let (s1, s2) = (s(1), s(2))
        put(first.0, first.1, s(0) + s1 + s2)
        put(second.0, second.1, s1 - s2 - s(3))
    }
}

/// `Aᵀ M` of an F(2, 7) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into its two
/// output pixels. Aᵀ = [1 1 1 1 1 1 1 0; 0 1 -1 2 -2 1/2 -1/2 1] (the points' powers 0 and 1;
/// 0 and 1 for infinity).
@inline(__always)
private func winogradOutputF2k7(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    let (first, second) = (out.pixel(0), out.pixel(1))
    out.forEachChannelVector(from: m, rowStride: rowStride, channels: channels) { s, put in
        let (s1, s2, s3, s4, s5, s6) = (s(1), s(2), s(3), s(4), s(5), s(6))
        put(first.0, first.1, s(0) + (s1 + s2) + (s3 + s4) + (s5 + s6))
        put(second.0, second.1, (s1 - s2) + 2 * (s3 - s4) + 0.5 * (s5 - s6) + s(7))
    }
}
