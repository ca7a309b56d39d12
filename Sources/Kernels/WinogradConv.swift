import Synchronization

/// Winograd convolution: 3x3 layers at stride 1 by F(4x4, 3x3), in 36 multiplications per 4 x 4
/// output pixels and input-output channel pair instead of 144, or F(2x2, 3x3), 16 per 2 x 2
/// instead of 36 (`ConvGeometry.winogradAlgorithm` chooses); InceptionV3's 1x3 and 3x1 layers by
/// F(2, 3) along the kernel's long side, 4 per 2 output pixels instead of 6, and its 1x7 and 7x1
/// ones by F(2, 7), 8 instead of 14.
///
/// Each block of output pixels (a tile) reads an input patch `d`: 6 x 6 for F(4x4, 3x3), 4 x 4
/// for F(2x2, 3x3), 4 or 8 pixels of a row or column for F(2, 3) and F(2, 7). With the transforms
/// of Lavin and Gray ("Fast Algorithms for Convolutional Neural Networks", 2015),
/// `Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A` in 2-D and `y = Aᵀ [Σ_c (G g) ⊙ (Bᵀ d)]` in 1-D: the
/// weight's filters are transformed once, the first time a layer runs by the algorithm
/// (`WinogradTransforms`), each tile's patch becomes one value per position ξ and channel
/// (`Bᵀ d B`), and the sum over input channels is one matrix product per position (36, 16, 4 or
/// 8): `M_ξ (tiles x OC) = V_ξ (tiles x C) · U_ξ (C x OC)`, on the direct tiles (`V_ξ` read in
/// place, 12 tiles a tile-call, as a pointwise layer's pixels are). `Aᵀ M A` gives the outputs,
/// then the bias and activation.
///
/// F(2x2, 3x3)'s and F(2, 3)'s coefficients are 0, ±1 and ±1/2, so their floats differ from the
/// direct sum's by rounding only: a few 1e-6 relative in a C prototype (512 channels). F(4x4, 3x3)
/// interpolates at 0, ±1, ±2 and infinity (Bᵀ has 4 and 5, Aᵀ 8): 0.5-2e-5 of the largest output
/// in the C prototype, about 20 times F(2x2, 3x3)'s. F(2, 7) interpolates at 0, ±1, ±2, ±1/2 and
/// infinity (Bᵀ has 21/4 and 17/4, the matrix of F(6, 3)): about 3 times the direct sum's
/// rounding, 1e-6 of the largest output at 192 channels in a NumPy float32 check. VGG16's and
/// InceptionV3's probabilities stay within the parity tests' 1e-4 of torchvision's. The sum for a
/// tile does not depend on which chunk or thread computes it, so every thread count gives the
/// same floats. F(2x2, 3x3) measured as a C loop on one core of the 2-core AMD Zen 5 VM
/// (docs/performance.md), against the direct tiles on the same layer: 1.46x faster at 224 x 224 x
/// 64, 1.73x at 112 x 112 x 128, 1.64x at 56 x 56 x 256, 1.52x at 28 x 28 x 512, 1.36x at
/// 14 x 14 x 512 (one image); F(4x4, 3x3) 1.36-1.69x faster again than F(2x2, 3x3) from 28 x 28 up.

/// Tiles a chunk transforms and multiplies at a time: 8 row panels of 12, so that a 32-column
/// panel of `U_ξ` is read for 8 tile-calls, while `V` and `M` (positions x 96 x channels floats
/// each) stay in L2 or L3. Half as many for F(4x4, 3x3) timed the same (VGG16 and InceptionV3).
let winogradChunkTiles = 96

/// The fewest tiles a layer runs by Winograd with: half a chunk for every thread. Fewer, and each
/// thread would read the whole `U` (16 MB for VGG16's 14 x 14 layers, 49 tiles at batch 1) for
/// a few tiles. InceptionV3's 8 x 8 3x3 layers at batch 8 (128 tiles) took 2.4 ms by Winograd
/// against 3.8 the direct way on two threads; its 1x7 and 7x1 layers at batch 1 (153) 0.31
/// against 0.37.
var winogradMinimumTiles: Int { winogradChunkTiles / 2 * kernelThreadCount }

/// The Winograd algorithms `conv2dWinograd` has: two for 3x3 kernels, one for each 1-D shape.
public enum WinogradAlgorithm: Sendable, Hashable {
    /// F(2x2, 3x3) for 3x3 kernels: 2 x 2 output pixels from a 4 x 4 patch, 16 positions.
    case f2x2k3x3
    /// F(4x4, 3x3) for 3x3 kernels: 4 x 4 output pixels from a 6 x 6 patch, 36 positions.
    case f4x4k3x3
    /// F(2, 3) along a row for 1x3 kernels: 1 x 2 output pixels from 1 x 4, 4 positions.
    case f2k1x3
    /// F(2, 3) down a column for 3x1 kernels: 2 x 1 output pixels from 4 x 1, 4 positions.
    case f2k3x1
    /// F(2, 7) along a row for 1x7 kernels: 1 x 2 output pixels from 1 x 8, 8 positions.
    case f2k1x7
    /// F(2, 7) down a column for 7x1 kernels: 2 x 1 output pixels from 8 x 1, 8 positions.
    case f2k7x1

    /// The algorithms for a kernel of `kernel` (height, width): none, one, or for 3x3 kernels
    /// F(4x4, 3x3) and F(2x2, 3x3) (`ConvGeometry.winogradAlgorithm` chooses).
    public static func algorithms(kernel: (Int, Int)) -> [WinogradAlgorithm] {
        switch kernel {
        case (3, 3): [.f4x4k3x3, .f2x2k3x3]
        case (1, 3): [.f2k1x3]
        case (3, 1): [.f2k3x1]
        case (1, 7): [.f2k1x7]
        case (7, 1): [.f2k7x1]
        default: []
        }
    }

    /// The kernel's height and width.
    public var kernel: (height: Int, width: Int) {
        switch self {
        case .f2x2k3x3, .f4x4k3x3: (3, 3)
        case .f2k1x3: (1, 3)
        case .f2k3x1: (3, 1)
        case .f2k1x7: (1, 7)
        case .f2k7x1: (7, 1)
        }
    }

    /// The algorithm's name: F(output pixels, kernel), as "F(4x4,3x3)" or "F(2,1x7)".
    public var name: String {
        switch self {
        case .f2x2k3x3: "F(2x2,3x3)"
        case .f4x4k3x3: "F(4x4,3x3)"
        case .f2k1x3: "F(2,1x3)"
        case .f2k3x1: "F(2,3x1)"
        case .f2k1x7: "F(2,1x7)"
        case .f2k7x1: "F(2,7x1)"
        }
    }

    /// Output pixels a tile gives, down and across.
    var tile: (height: Int, width: Int) {
        switch self {
        case .f2x2k3x3: (2, 2)
        case .f4x4k3x3: (4, 4)
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
        case .f4x4k3x3: (Self.g4x3, Self.g4x3)
        case .f2k1x3: ([[1]], Self.g3)
        case .f2k3x1: (Self.g3, [[1]])
        case .f2k1x7: ([[1]], Self.g7)
        case .f2k7x1: (Self.g7, [[1]])
        }
    }

    /// G of F(2, 3), points 0, 1, -1 and infinity, scaled as in Lavin and Gray.
    static let g3: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// G of F(4, 3), points 0, ±1, ±2 and infinity, scaled as in Lavin and Gray (so that Bᵀ has
    /// small integers: `winogradBT6`).
    static let g4x3: [[Double]] = [
        [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
    ]

    /// G of F(2, 7): row ξ is `a^k / Π_{b ≠ a} (a - b)` over the finite points b, for the points
    /// a = 0, 1, -1, 2, -2, 1/2, -1/2, then (0, ..., 0, 1) for infinity. With `Bᵀ` in
    /// `winogradInputF2k7` and `Aᵀ` in `winogradOutputF2k7` (its columns `a^0, a^1`, and
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
    /// The Winograd algorithm `conv2dForward` runs the layer by, given a weight kept for it
    /// (`WinogradTransforms`), or nil: stride 1, a weight shape `WinogradWeight.allows`, and at
    /// least `winogradMinimumTiles` tiles. A 3x3 layer takes F(4x4, 3x3) where that has enough
    /// tiles and needs at most 7/8 of F(2x2, 3x3)'s products, counting those of tiles partly
    /// outside the image: 9/16 where both fit the image, 0.73 at 14 x 14, 1 at 6 x 6. Its products
    /// cost more (a longer transform a tile): VGG16's 14 x 14 layers at batch 8 took 7.2-7.6 ms
    /// by F(4x4, 3x3) against 8.7-9.0 by F(2x2, 3x3), 0.83 of the time for 0.73 of the products
    /// (two threads, Zen 5 VM).
    public var winogradAlgorithm: WinogradAlgorithm? {
        guard strideHeight == 1, strideWidth == 1,
              WinogradWeight.allows(inputChannels: inputChannels, outputChannels: outputChannels, groups: groups) else { return nil }
        let enough = WinogradAlgorithm.algorithms(kernel: (kernelHeight, kernelWidth))
            .filter { winogradTiles($0).count >= winogradMinimumTiles }
        if enough.count == 2, 8 * winogradProducts(enough[0]) > 7 * winogradProducts(enough[1]) { return enough[1] }
        return enough.first
    }

    /// Whether the layer runs by Winograd given a weight kept for it (`winogradAlgorithm`).
    public var prefersWinograd: Bool { winogradAlgorithm != nil }

    /// Tiles of `algorithm`: down and across an image, and over the batch.
    func winogradTiles(_ algorithm: WinogradAlgorithm) -> (down: Int, across: Int, count: Int) {
        let tile = algorithm.tile
        let (down, across) = ((outputHeight + tile.height - 1) / tile.height, (outputWidth + tile.width - 1) / tile.width)
        return (down, across, batch * down * across)
    }

    /// Products per input-output channel pair by `algorithm`: its positions for every tile.
    func winogradProducts(_ algorithm: WinogradAlgorithm) -> Int { algorithm.positions * winogradTiles(algorithm).count }
}

/// A weight transformed for `conv2dWinograd`: `U_ξ = G g Gᵀ` (or `G g` in 1-D) for each position
/// ξ, as `positions x (OC / 32) x C x 32` floats (each position's matrix in 32-column panels, the
/// layout of the direct tiles' B).
public struct WinogradWeight: Sendable {
    public let algorithm: WinogradAlgorithm
    public let inputChannels: Int, outputChannels: Int
    let values: [Float]

    /// Whether a weight of this shape is worth transforming, for a kernel that has an algorithm
    /// (`WinogradAlgorithm.algorithms`): one group, input channels a multiple of 16 (the
    /// transforms' vectors) and at least 32, output channels a multiple of 32 (whole panels).
    /// small_cnn's 16-channel layer took 0.22 ms by Winograd at batch 1 against 0.11 fused with
    /// its pooling (two threads, Zen 5 VM).
    public static func allows(inputChannels: Int, outputChannels: Int, groups: Int) -> Bool {
        groups == 1 && inputChannels >= 32 && inputChannels % 16 == 0 && outputChannels % 32 == 0
    }

    /// Transforms a weight from its fp32 GEMM panels (`PackedMatrix`, `KH·KW·C x OC`, the
    /// algorithm's kernel, OC a multiple of 32), each value a float64 sum of its taps.
    init(panels weight: PackedMatrix, algorithm: WinogradAlgorithm, inputChannels c: Int) {
        let k = weight.columns
        precondition(k % 32 == 0 && weight.rows == algorithm.kernel.height * algorithm.kernel.width * c,
                     "Winograd weights come in whole 32-column panels of the algorithm's kernel")
        (self.algorithm, inputChannels, outputChannels) = (algorithm, c, k)
        let (down, across) = algorithm.weightTransforms
        // Position ξ's taps (row offset in a panel) and coefficients, zeros left out.
        let taps: [[(row: Int, coefficient: Double)]] = down.flatMap { rowTransform in
            across.map { columnTransform in
                rowTransform.indices.flatMap { i in
                    columnTransform.indices.compactMap { j in
                        let coefficient = rowTransform[i] * columnTransform[j]
                        return coefficient == 0 ? nil : ((i * columnTransform.count + j) * c, coefficient)
                    }
                }
            }
        }
        let (positions, panels) = (algorithm.positions, k / 32)
        // The 32 lanes of a panel row at a time, term by term (the same sums, in the same order,
        // as lane by lane; this way they are vectors): training transforms every weight anew
        // each step, where lane by lane took 3 % of VGG16's.
        values = [Float](unsafeUninitializedCapacity: positions * c * k) { buffer, count in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 32) { sum in
                let sum = sum.baseAddress!
                for panel in 0..<panels {
                    let source = weight.panel(panel)
                    for (xi, terms) in taps.enumerated() {
                        let destination = buffer.baseAddress! + (xi * panels + panel) * c * 32
                        for channel in 0..<c {
                            sum.update(repeating: 0, count: 32)
                            for (row, coefficient) in terms {
                                let values = source + (row + channel) * 32
                                for lane in 0..<32 { sum[lane] += coefficient * Double(values[lane]) }
                            }
                            for lane in 0..<32 { destination[channel * 32 + lane] = Float(sum[lane]) }
                        }
                    }
                }
            }
            count = positions * c * k
        }
    }
}

/// A convolution weight's Winograd transforms, each made the first time the layer runs by its
/// algorithm (`ConvGeometry.winogradAlgorithm`, which depends on the layer's size and batch) and
/// then kept: a model run at one input size and batch holds one per layer, 16/9 (F(2x2, 3x3)),
/// 4 (F(4x4, 3x3)), 4/3 (1x3, 3x1) or 8/7 (1x7, 7x1) of the weight's memory.
public final class WinogradTransforms: Sendable {
    /// The fp32 panels the transforms are made from.
    let panels: PackedMatrix
    let kernel: (height: Int, width: Int), inputChannels: Int
    private let made = Mutex<[WinogradAlgorithm: WinogradWeight]>([:])

    /// Keeps `panels` (`KH·KW·C x OC`) for transforms, or nil where no algorithm would take them:
    /// `WinogradWeight.allows` and a kernel with an algorithm.
    init?(panels: PackedMatrix, kernel: (height: Int, width: Int), inputChannels: Int, groups: Int) {
        guard !WinogradAlgorithm.algorithms(kernel: kernel).isEmpty,
              WinogradWeight.allows(inputChannels: inputChannels, outputChannels: panels.columns, groups: groups) else { return nil }
        (self.panels, self.kernel, self.inputChannels) = (panels, kernel, inputChannels)
    }

    /// The weight transformed for `algorithm`, made now if not yet.
    func weight(for algorithm: WinogradAlgorithm) -> WinogradWeight {
        made.withLock { made in
            if let weight = made[algorithm] { return weight }
            let weight = WinogradWeight(panels: panels, algorithm: algorithm, inputChannels: inputChannels)
            made[algorithm] = weight
            return weight
        }
    }

    /// The algorithm and direct tile `conv2dForward` runs a layer of geometry `g` by with these
    /// transforms, or nil when it takes another path: a geometry of another weight or without an
    /// algorithm (`winogradAlgorithm`), or no direct tiles in the kernel set.
    func plan(_ g: ConvGeometry) -> (algorithm: WinogradAlgorithm, tile: Tiles.DirectFunction)? {
        guard (g.kernelHeight, g.kernelWidth) == kernel, g.inputChannels == inputChannels, g.outputChannels == panels.columns,
              let algorithm = g.winogradAlgorithm, let direct = activeTiles.direct else { return nil }
        return (algorithm, direct.wide)
    }
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
    let total = g.winogradTiles(algorithm).count
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
                            case .f4x4k3x3: winogradInputF4x4k3x3(patch, into: into, rowStride: rowStride, channels: c)
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
                        case .f4x4k3x3: winogradOutputF4x4k3x3(from: from, rowStride: rowStride, channels: k, into: out)
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
struct WinogradGrid {
    let algorithm: WinogradAlgorithm
    let down: Int, across: Int

    init(algorithm: WinogradAlgorithm, geometry g: ConvGeometry) {
        let tiles = g.winogradTiles(algorithm)
        (self.algorithm, down, across) = (algorithm, tiles.down, tiles.across)
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
func winogradPatch(
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
/// Four and six vectors: a row or column of a patch or of a tile's outputs.
typealias WinogradVector4 = (WinogradVector, WinogradVector, WinogradVector, WinogradVector)
typealias WinogradVector6 = (WinogradVector, WinogradVector, WinogradVector, WinogradVector, WinogradVector, WinogradVector)

// The transforms below run over the channels 16 at a time, written out without closures and not
// inlined into `conv2dWinograd`. Inlined there, with their loads and stores passed in as
// closures, Swift left the vector loads as calls (a 64-byte vector handed back in four
// registers): the 32-channel layers of InceptionV3's stem, where the transforms are most of the
// work, took 10.3 ms by F(4x4, 3x3) against 8.8 by F(2x2, 3x3); written out, 7.0 (batch 8, two
// threads, Zen 5 VM).

/// `Bᵀ d B` of a 4 x 4 patch (F(2x2, 3x3); `patch[i]`, pixels row by row), every channel:
/// position ξ's `channels` values at `v + ξ · rowStride`. Bᵀ over the patch's columns, then over
/// the rows of that (`winogradBT4`).
@inline(never)
func winogradInputF2x2k3x3(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    var channel = 0
    while channel < channels {
        @inline(__always) func d(_ i: Int) -> WinogradVector { loadVector(patch[i] + channel) }
        @inline(__always) func column(_ j: Int) -> WinogradVector4 { winogradBT4(d(j), d(4 + j), d(8 + j), d(12 + j)) }
        let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
        @inline(__always) func put(row i: Int, _ y: WinogradVector4) {
            let target = v + 4 * i * rowStride + channel
            storeVector(y.0, target)
            storeVector(y.1, target + rowStride)
            storeVector(y.2, target + 2 * rowStride)
            storeVector(y.3, target + 3 * rowStride)
        }
        put(row: 0, winogradBT4(c0.0, c1.0, c2.0, c3.0))
        put(row: 1, winogradBT4(c0.1, c1.1, c2.1, c3.1))
        put(row: 2, winogradBT4(c0.2, c1.2, c2.2, c3.2))
        put(row: 3, winogradBT4(c0.3, c1.3, c2.3, c3.3))
        channel += WinogradVector.scalarCount
    }
}

/// `Bᵀ x` of four values, F(2x2, 3x3)'s and F(2, 3)'s Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
@inline(__always)
private func winogradBT4(_ x0: WinogradVector, _ x1: WinogradVector, _ x2: WinogradVector, _ x3: WinogradVector) -> WinogradVector4 {
    (x0 - x2, x1 + x2, x2 - x1, x1 - x3)
}

/// `Bᵀ d B` of a 6 x 6 patch (F(4x4, 3x3); `patch[i]`, pixels row by row), every channel:
/// position ξ's `channels` values at `v + ξ · rowStride`. Bᵀ over the patch's rows, then over
/// the columns of that (`winogradBT6`).
@inline(never)
private func winogradInputF4x4k3x3(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    var channel = 0
    while channel < channels {
        @inline(__always) func d(_ i: Int) -> WinogradVector { loadVector(patch[i] + channel) }
        @inline(__always) func row(_ i: Int) -> WinogradVector6 {
            winogradBT6(d(6 * i), d(6 * i + 1), d(6 * i + 2), d(6 * i + 3), d(6 * i + 4), d(6 * i + 5))
        }
        let (r0, r1, r2, r3, r4, r5) = (row(0), row(1), row(2), row(3), row(4), row(5))
        @inline(__always) func put(column j: Int, _ y: WinogradVector6) {
            let target = v + j * rowStride + channel
            storeVector(y.0, target)
            storeVector(y.1, target + 6 * rowStride)
            storeVector(y.2, target + 12 * rowStride)
            storeVector(y.3, target + 18 * rowStride)
            storeVector(y.4, target + 24 * rowStride)
            storeVector(y.5, target + 30 * rowStride)
        }
        put(column: 0, winogradBT6(r0.0, r1.0, r2.0, r3.0, r4.0, r5.0))
        put(column: 1, winogradBT6(r0.1, r1.1, r2.1, r3.1, r4.1, r5.1))
        put(column: 2, winogradBT6(r0.2, r1.2, r2.2, r3.2, r4.2, r5.2))
        put(column: 3, winogradBT6(r0.3, r1.3, r2.3, r3.3, r4.3, r5.3))
        put(column: 4, winogradBT6(r0.4, r1.4, r2.4, r3.4, r4.4, r5.4))
        put(column: 5, winogradBT6(r0.5, r1.5, r2.5, r3.5, r4.5, r5.5))
        channel += WinogradVector.scalarCount
    }
}

/// `Bᵀ x` of six values, F(4x4, 3x3)'s Bᵀ =
/// [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
/// (rows 1 and 2, 3 and 4 share their even and odd halves).
@inline(__always)
private func winogradBT6(
    _ x0: WinogradVector, _ x1: WinogradVector, _ x2: WinogradVector, _ x3: WinogradVector, _ x4: WinogradVector, _ x5: WinogradVector
) -> WinogradVector6 {
    let (even1, odd1) = (x4 - 4 * x2, x3 - 4 * x1)
    let (even3, odd3) = (x4 - x2, 2 * (x3 - x1))
    return (4 * x0 - 5 * x2 + x4, even1 + odd1, even1 - odd1, even3 + odd3, even3 - odd3, 4 * x1 - 5 * x3 + x5)
}

/// `Bᵀ d` of a 4-pixel patch (F(2, 3)), every channel: position ξ's `channels` values at
/// `v + ξ · rowStride` (`winogradBT4`).
@inline(never)
private func winogradInputF2k3(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    var channel = 0
    while channel < channels {
        let y = winogradBT4(loadVector(patch[0] + channel), loadVector(patch[1] + channel), loadVector(patch[2] + channel),
                            loadVector(patch[3] + channel))
        storeVector(y.0, v + channel)
        storeVector(y.1, v + rowStride + channel)
        storeVector(y.2, v + 2 * rowStride + channel)
        storeVector(y.3, v + 3 * rowStride + channel)
        channel += WinogradVector.scalarCount
    }
}

/// `Bᵀ d` of an 8-pixel patch (F(2, 7)), every channel: position ξ's `channels` values at
/// `v + ξ · rowStride`. The rows of Bᵀ (solved for the G of `WinogradAlgorithm.g7`):
/// [-1 0 21/4 0 -21/4 0 1 0], [0 1 1 -17/4 -17/4 1 1 0], [0 -1 1 17/4 -17/4 -1 1 0],
/// [0 1/2 1/4 -5/2 -5/4 2 1 0], [0 -1/2 1/4 5/2 -5/4 -2 1 0], [0 2 4 -5/2 -5 1/2 1 0],
/// [0 -2 4 5/2 -5 -1/2 1 0], [0 -1 0 21/4 0 -21/4 0 1]; rows 1 and 2, 3 and 4, 5 and 6 share
/// their even and odd halves.
@inline(never)
private func winogradInputF2k7(
    _ patch: UnsafeMutablePointer<UnsafePointer<Float>>, into v: UnsafeMutablePointer<Float>, rowStride: Int, channels: Int
) {
    var channel = 0
    while channel < channels {
        @inline(__always) func d(_ i: Int) -> WinogradVector { loadVector(patch[i] + channel) }
        @inline(__always) func put(_ xi: Int, _ y: WinogradVector) { storeVector(y, v + xi * rowStride + channel) }
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
        channel += WinogradVector.scalarCount
    }
}

/// The 16 floats at `p`, which need no alignment.
@inline(__always)
func loadVector(_ p: UnsafePointer<Float>) -> WinogradVector { UnsafeRawPointer(p).loadUnaligned(as: WinogradVector.self) }

/// Stores 16 floats at `p`, which needs no alignment.
@inline(__always)
func storeVector(_ x: WinogradVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: x, as: WinogradVector.self)
}

/// Where a tile's outputs go: its pixels inside the image, plus the bias, through the activation.
private struct WinogradOutput {
    let output: UnsafeMutablePointer<Float>, pixelStride: Int, bias: UnsafePointer<Float>?
    let image: Int, top: Int, left: Int, height: Int, width: Int
    /// Whether a 1-D algorithm's two outputs lie along a row (else down a column).
    let alongRow: Bool
    /// The activation as a clamp, values at or below `lower` to it and above `upper` to it: -∞
    /// and ∞ (identity), 0 and ∞ (ReLU), 0 and 6 (ReLU6): the same floats as the activation's own
    /// `replacing`, without a branch in `put`.
    let lower: WinogradVector, upper: WinogradVector

    @inline(__always)
    init(tile t: Int, grid: WinogradGrid, output: UnsafeMutablePointer<Float>, pixelStride: Int, bias: UnsafePointer<Float>?,
         geometry g: ConvGeometry, activation: Activation) {
        (self.output, self.pixelStride, self.bias) = (output, pixelStride, bias)
        (image, top, left) = grid.origin(t)
        (height, width) = (g.outputHeight, g.outputWidth)
        alongRow = grid.algorithm.tile.height == 1
        let (lower, upper): (Float, Float) = switch activation {
        case .identity: (-.infinity, .infinity)
        case .relu: (0, .infinity)
        case .relu6: (0, 6)
        }
        (self.lower, self.upper) = (WinogradVector(repeating: lower), WinogradVector(repeating: upper))
    }

    /// The bias of channels `channel ..< channel + 16` (-0 without one).
    @inline(__always)
    func bias(_ channel: Int) -> WinogradVector {
        bias.map { loadVector($0 + channel) } ?? WinogradVector(repeating: -0.0)
    }

    /// Stores `value + bias` through the activation at the tile's pixel (i, j), channels
    /// `channel ..< channel + 16`, if that pixel is inside the image.
    ///
    /// `@_transparent`, as are `putRow` and the 1-D `put`: marked `@inline(__always)`, Swift
    /// inlined one call of each output transform and left the others calls that took their two
    /// vectors in eight xmm registers; inlined, VGG16 at batch 8 took 226 ms against 244 and
    /// InceptionV3 158 against 167 (medians of three alternating runs, two threads, Zen 5 VM).
    @_transparent
    func put(_ i: Int, _ j: Int, channel: Int, _ value: WinogradVector, bias b: WinogradVector) {
        let (y, x) = (top + i, left + j)
        guard y < height, x < width else { return }
        let sum = value + b
        let z = sum.replacing(with: lower, where: sum .<= lower).replacing(with: upper, where: sum .> upper)
        storeVector(z, output + ((image * height + y) * width + x) * pixelStride + channel)
    }

    /// Stores row `i` of an F(4x4, 3x3) tile's outputs, `y` for its pixels (i, 0) ... (i, 3), with bias `b`, as `put` does.
    @_transparent
    func putRow(_ i: Int, channel: Int, _ y: WinogradVector4, bias b: WinogradVector) {
        put(i, 0, channel: channel, y.0, bias: b)
        put(i, 1, channel: channel, y.1, bias: b)
        put(i, 2, channel: channel, y.2, bias: b)
        put(i, 3, channel: channel, y.3, bias: b)
    }

    /// Stores a 1-D algorithm's output `n` (0 or 1) as `put` does: the tile's pixel (0, n) or (n, 0).
    @_transparent
    func put(_ n: Int, channel: Int, _ value: WinogradVector, bias b: WinogradVector) {
        alongRow ? put(0, n, channel: channel, value, bias: b) : put(n, 0, channel: channel, value, bias: b)
    }
}

/// `Aᵀ M A` of an F(2x2, 3x3) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into
/// its 2 x 2 output pixels: Aᵀ over M's columns, then over the rows of that (`winogradAT4`).
@inline(never)
private func winogradOutputF2x2k3x3(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    var channel = 0
    while channel < channels {
        @inline(__always) func s(_ xi: Int) -> WinogradVector { loadVector(m + xi * rowStride + channel) }
        @inline(__always) func column(_ j: Int) -> (WinogradVector, WinogradVector) { winogradAT4(s(j), s(4 + j), s(8 + j), s(12 + j)) }
        let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
        let b = out.bias(channel)
        let (y00, y01) = winogradAT4(c0.0, c1.0, c2.0, c3.0)
        let (y10, y11) = winogradAT4(c0.1, c1.1, c2.1, c3.1)
        out.put(0, 0, channel: channel, y00, bias: b)
        out.put(0, 1, channel: channel, y01, bias: b)
        out.put(1, 0, channel: channel, y10, bias: b)
        out.put(1, 1, channel: channel, y11, bias: b)
        channel += WinogradVector.scalarCount
    }
}

/// `Aᵀ x` of four values, F(2x2, 3x3)'s and F(2, 3)'s Aᵀ = [1 1 1 0; 0 1 -1 -1].
@inline(__always)
private func winogradAT4(
    _ x0: WinogradVector, _ x1: WinogradVector, _ x2: WinogradVector, _ x3: WinogradVector
) -> (WinogradVector, WinogradVector) {
    (x0 + x1 + x2, x1 - x2 - x3)
}

/// `Aᵀ M A` of an F(4x4, 3x3) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into
/// its 4 x 4 output pixels: Aᵀ over M's columns, then over the rows of that (`winogradAT6`).
@inline(never)
private func winogradOutputF4x4k3x3(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    var channel = 0
    while channel < channels {
        @inline(__always) func s(_ xi: Int) -> WinogradVector { loadVector(m + xi * rowStride + channel) }
        @inline(__always) func column(_ j: Int) -> WinogradVector4 {
            winogradAT6(s(j), s(6 + j), s(12 + j), s(18 + j), s(24 + j), s(30 + j))
        }
        let (c0, c1, c2, c3, c4, c5) = (column(0), column(1), column(2), column(3), column(4), column(5))
        let b = out.bias(channel)
        out.putRow(0, channel: channel, winogradAT6(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0), bias: b)
        out.putRow(1, channel: channel, winogradAT6(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1), bias: b)
        out.putRow(2, channel: channel, winogradAT6(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2), bias: b)
        out.putRow(3, channel: channel, winogradAT6(c0.3, c1.3, c2.3, c3.3, c4.3, c5.3), bias: b)
        channel += WinogradVector.scalarCount
    }
}

/// `Aᵀ x` of six values, F(4x4, 3x3)'s Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
/// (the points' powers 0 to 3).
@inline(__always)
private func winogradAT6(
    _ x0: WinogradVector, _ x1: WinogradVector, _ x2: WinogradVector, _ x3: WinogradVector, _ x4: WinogradVector, _ x5: WinogradVector
) -> WinogradVector4 {
    let (sum12, difference12, sum34, difference34) = (x1 + x2, x1 - x2, x3 + x4, x3 - x4)
    return (x0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34, difference12 + 8 * difference34 + x5)
}

/// `Aᵀ M` of an F(2, 3) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into its two
/// output pixels (`winogradAT4`).
@inline(never)
private func winogradOutputF2k3(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    var channel = 0
    while channel < channels {
        @inline(__always) func s(_ xi: Int) -> WinogradVector { loadVector(m + xi * rowStride + channel) }
        let b = out.bias(channel)
        let (y0, y1) = winogradAT4(s(0), s(1), s(2), s(3))
        out.put(0, channel: channel, y0, bias: b)
        out.put(1, channel: channel, y1, bias: b)
        channel += WinogradVector.scalarCount
    }
}

/// `Aᵀ M` of an F(2, 7) tile (position ξ's `channels` sums at `m + ξ · rowStride`) into its two
/// output pixels. Aᵀ = [1 1 1 1 1 1 1 0; 0 1 -1 2 -2 1/2 -1/2 1] (the points' powers 0 and 1;
/// 0 and 1 for infinity).
@inline(never)
private func winogradOutputF2k7(from m: UnsafePointer<Float>, rowStride: Int, channels: Int, into out: WinogradOutput) {
    var channel = 0
    while channel < channels {
        @inline(__always) func s(_ xi: Int) -> WinogradVector { loadVector(m + xi * rowStride + channel) }
        let b = out.bias(channel)
        let (s1, s2, s3, s4, s5, s6) = (s(1), s(2), s(3), s(4), s(5), s(6))
        out.put(0, channel: channel, s(0) + (s1 + s2) + (s3 + s4) + (s5 + s6), bias: b)
        out.put(1, channel: channel, (s1 - s2) + 2 * (s3 - s4) + 0.5 * (s5 - s6) + s(7), bias: b)
        channel += WinogradVector.scalarCount
    }
}
