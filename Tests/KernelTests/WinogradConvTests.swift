@testable import Kernels
import Testing
import Tensors

/// Winograd convolution (`conv2dWinograd`: F(4x4, 3x3) and F(2x2, 3x3), and F(2, 3) and F(2, 7)
/// along rows or columns) on every kernel set with direct tiles.
/// Serialized, since the kernel set in use is process-wide.
@Suite("Winograd convolution: against the naive reference, channel slices, which layers take it", .serialized)
struct WinogradConvTests {
    /// Layers with enough tiles (`enoughImages`) of each algorithm: odd output sizes (a last tile
    /// partly outside the image), `same`, valid and explicit padding, several images (tiles in
    /// image-row order over the batch), no bias, every activation, 32-64 input channels and 32-96
    /// output ones. 3x3 layers of 6 x 10 and 6 x 6 output pixels take F(2x2, 3x3): F(4x4, 3x3)'s
    /// tiles would waste too many products outside the image.
    static let cases: [(ConvCase, WinogradAlgorithm)] = [
        (ConvCase(height: 33, width: 31, channels: 32, outputChannels: 32, kernel: (3, 3), padding: .same, activation: .relu), .f4x4k3x3),
        (ConvCase(batch: 2, height: 26, width: 27, channels: 32, outputChannels: 64, kernel: (3, 3), activation: .relu6), .f4x4k3x3),
        (ConvCase(height: 14, width: 13, channels: 48, outputChannels: 96, kernel: (3, 3), padding: .same, bias: false), .f4x4k3x3),
        (ConvCase(height: 6, width: 10, channels: 48, outputChannels: 96, kernel: (3, 3), padding: .same, bias: false), .f2x2k3x3),
        (ConvCase(batch: 3, height: 16, width: 18, channels: 64, outputChannels: 32, kernel: (3, 3),
                  padding: .explicit(.symmetric(1)), activation: .relu), .f4x4k3x3),
        (ConvCase(batch: 2, height: 8, width: 8, channels: 32, outputChannels: 64, kernel: (3, 3), activation: .relu6), .f2x2k3x3),
        // InceptionV3's 1x7 and 7x1 (padding 3 on the long side), 1x3 and 3x1 layers.
        (ConvCase(height: 17, width: 17, channels: 48, outputChannels: 64, kernel: (1, 7), padding: .same, activation: .relu), .f2k1x7),
        (ConvCase(batch: 2, height: 19, width: 16, channels: 32, outputChannels: 32, kernel: (7, 1), padding: .same, bias: false), .f2k7x1),
        (ConvCase(height: 13, width: 12, channels: 32, outputChannels: 96, kernel: (1, 7), activation: .relu6), .f2k1x7),
        (ConvCase(height: 9, width: 8, channels: 64, outputChannels: 32, kernel: (3, 1), padding: .same, activation: .relu), .f2k3x1),
        (ConvCase(batch: 2, height: 8, width: 11, channels: 32, outputChannels: 64, kernel: (1, 3), padding: .same), .f2k1x3),
    ].map { (enoughImages($0, for: $1), $1) }

    /// `c` with as many images as give the layer `winogradMinimumTiles` of `algorithm`, where it
    /// has fewer: machines with more threads run layers with fewer tiles a thread another way.
    static func enoughImages(_ c: ConvCase, for algorithm: WinogradAlgorithm) -> ConvCase {
        let padding = c.padding.resolve(height: c.height, width: c.width, kernel: c.kernel, stride: c.stride)
        let g = ConvGeometry(batch: 1, inputHeight: c.height, inputWidth: c.width, inputChannels: c.channels,
                             outputChannels: c.outputChannels, kernelHeight: c.kernel.0, kernelWidth: c.kernel.1, padding: padding)
        let perImage = g?.winogradTiles(algorithm).count ?? 0
        precondition(perImage > 0, "\(c.testDescription) has no tiles")
        var c = c
        c.batch = max(c.batch, (winogradMinimumTiles + perImage - 1) / perImage)
        return c
    }

    /// The case's weight, transformed for Winograd, and its geometry.
    private func prepare(_ c: ConvCase) throws -> (input: Tensor, weight: ConvWeight, bias: Tensor?, geometry: ConvGeometry) {
        let (input, w, bias) = c.makeInputs()
        let weight = try ConvWeight(hwio: w, winograd: true)
        return (input, weight, bias, try input.convGeometry(weight: weight, stride: c.stride, padding: c.padding))
    }

    /// The kernel sets that can run the path here.
    static var sets: [KernelSet] { KernelSet.supported.filter { Tiles($0).direct != nil } }

    @Test("Every runnable set with direct tiles runs the cases by their Winograd algorithm and gives the reference", arguments: cases)
    func matchesReference(_ c: ConvCase, algorithm: WinogradAlgorithm) throws {
        if Self.sets.isEmpty { print("WinogradConvTests: no kernel set with direct tiles runs on this CPU") }
        let (input, weight, bias, g) = try prepare(c)
        let want = conv2dNHWC_reference(input, weight: weight.hwio, bias: bias, stride: c.stride, padding: c.padding,
                                        groups: 1, activation: c.activation)
        let atol = Self.tolerance(algorithm, largest: want.values.map(abs).max() ?? 0)
        for set in Self.sets {
            try KernelSet.with(set) {
                let runs = weight.winogradAlgorithm(g)
                #expect(runs == algorithm, "\(set) \(c.testDescription) runs by \(runs?.name ?? "no Winograd")")
                let got = try input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation)
                checkClose(got, shape: want.shape, want.values, atol: atol, "\(set) \(c.testDescription)")
            }
        }
    }

    /// The absolute tolerance for `algorithm`'s outputs against the float64-summed reference,
    /// whose largest output is `largest`: F(4x4, 3x3) interpolates at ±2 (Bᵀ has 4 and 5, Aᵀ 8),
    /// so its rounding is about 1e-5 of the largest output (C prototype, docs/performance.md),
    /// twenty times the others'; they keep the default 1e-4.
    static func tolerance(_ algorithm: WinogradAlgorithm, largest: Float) -> Float {
        algorithm == .f4x4k3x3 ? max(1e-4, 3e-5 * largest) : 1e-4
    }

    @Test("Winograd writes only its channel slice of a wider output (InceptionV3's concatenations)",
          arguments: [((3, 3), WinogradAlgorithm.f4x4k3x3), ((3, 3), .f2x2k3x3), ((7, 1), .f2k7x1)])
    func channelSlice(kernel: (Int, Int), algorithm: WinogradAlgorithm) throws {
        // 6 x 10: F(4x4, 3x3) would need 0.9 of F(2x2, 3x3)'s products; 25 x 24, 0.61.
        let (height, width) = algorithm == .f2x2k3x3 ? (6, 10) : (25, 24)
        let c = Self.enoughImages(ConvCase(batch: 2, height: height, width: width, channels: 32, outputChannels: 32, kernel: kernel,
                                           padding: .same, activation: .relu), for: algorithm)
        try checkChannelSlice(c, seed: 7, sets: Self.sets) { input, weight, bias, output, offset in
            let prepared = try ConvWeight(hwio: weight, winograd: true)
            let g = try input.convGeometry(weight: prepared, stride: c.stride, padding: c.padding)
            let runs = prepared.winogradAlgorithm(g)
            #expect(runs == algorithm)
            try input.conv2d(weight: prepared, bias: bias, geometry: g, activation: c.activation, into: output, channelOffset: offset)
        }
    }

    @Test("An image gives the same floats alone as in a batch, whichever chunks its tiles fall in",
          arguments: [((3, 3), 29, 40, WinogradAlgorithm.f4x4k3x3), ((3, 3), 8, 24, .f2x2k3x3), ((1, 7), 29, 20, .f2k1x7)])
    func sameFloatsInAnyChunk(kernel: (Int, Int), width: Int, rowsPerThread: Int, algorithm: WinogradAlgorithm) throws {
        let w = randomTensor([kernel.0, kernel.1, 48, 96], seed: 12)
        let weight = try ConvWeight(hwio: w, winograd: true)
        // Rows for half a chunk of tiles a thread in one image: 40 · threads rows of 8 F(4x4, 3x3) tiles; 24 · threads of 4
        // F(2x2, 3x3) ones (8 wide: 2 F(4x4, 3x3) tiles a row, too few even for the batch); 20 · threads of 15 (1x7).
        let height = rowsPerThread * kernelThreadCount
        let batch = randomTensor([2, height, width, 48], seed: 13)
        let half = batch.count / 2
        let second = try Tensor(shape: [1, height, width, 48], values: Array(batch.scalars[half...]))
        for set in Self.sets {
            try KernelSet.with(set) {
                let g = try second.convGeometry(weight: weight, stride: (1, 1), padding: .same)
                let batchGeometry = try batch.convGeometry(weight: weight, stride: (1, 1), padding: .same)
                let runs = (weight.winogradAlgorithm(g), weight.winogradAlgorithm(batchGeometry))
                #expect(runs == (algorithm, algorithm))
                let both = try batch.conv2d(weight: weight, stride: (1, 1), padding: .same, activation: .relu)
                let alone = try second.conv2d(weight: weight, stride: (1, 1), padding: .same, activation: .relu)
                #expect(Array(both.scalars[(both.count / 2)...]) == alone.scalars, "\(set)")
            }
        }
    }

    @Test("One-group 3x3, 1x3, 3x1, 1x7 and 7x1 layers at stride 1 with C a multiple of 16 and OC of 32 take it, with enough tiles; which algorithm; others do not")
    func choice() throws {
        func geometry(channels: Int = 64, outputChannels: Int = 64, size: Int = 56, kernel: (Int, Int) = (3, 3), stride: Int = 1,
                      batch: Int = 1) throws -> ConvGeometry {
            try #require(ConvGeometry(batch: batch, inputHeight: size, inputWidth: size, inputChannels: channels,
                                      outputChannels: outputChannels, kernelHeight: kernel.0, kernelWidth: kernel.1,
                                      strideHeight: stride, strideWidth: stride,
                                      padding: .symmetric(height: kernel.0 / 2, width: kernel.1 / 2)))
        }
        // 112 x 112 (784 F(4x4, 3x3) tiles): enough of either for up to 16 threads; F(4x4, 3x3) has 9/16 of the products.
        #expect(try geometry(size: 112).winogradAlgorithm == .f4x4k3x3)
        #expect(try geometry(kernel: (1, 3)).winogradAlgorithm == .f2k1x3)
        #expect(try geometry(kernel: (3, 1)).winogradAlgorithm == .f2k3x1)
        #expect(try geometry(kernel: (1, 7)).winogradAlgorithm == .f2k1x7)
        #expect(try geometry(kernel: (7, 1)).winogradAlgorithm == .f2k7x1)
        // 14 x 14 (VGG16's conv5), 8 images a thread: F(4x4, 3x3) needs 0.73 of F(2x2, 3x3)'s products; at 6 x 6, as many.
        #expect(try geometry(size: 14, batch: 8 * kernelThreadCount).winogradAlgorithm == .f4x4k3x3)
        #expect(try geometry(size: 6, batch: 32 * kernelThreadCount).winogradAlgorithm == .f2x2k3x3)
        // 8 x 8 (InceptionV3's Mixed_7), 4 images a thread: 16 F(4x4, 3x3) tiles a thread, too few; 64 F(2x2, 3x3) ones.
        #expect(try geometry(size: 8, batch: 4 * kernelThreadCount).winogradAlgorithm == .f2x2k3x3)
        #expect(try !geometry(stride: 2).prefersWinograd)
        #expect(try !geometry(kernel: (5, 5)).prefersWinograd)
        #expect(try !geometry(kernel: (1, 5)).prefersWinograd)
        #expect(try !geometry(kernel: (7, 7)).prefersWinograd)
        #expect(try !geometry(channels: 3).prefersWinograd)          // a stem: padded bands
        #expect(try !geometry(channels: 16).prefersWinograd)         // small_cnn's second: fused with its pool
        #expect(try !geometry(outputChannels: 48).prefersWinograd)   // a partial column panel
        let w = randomTensor([3, 3, 512, 512], seed: 7)
        let weight = try ConvWeight(hwio: w, winograd: true)
        let plain = try ConvWeight(hwio: w)
        for set in Self.sets {
            try KernelSet.with(set) {
                // VGG16's conv4 (49 F(4x4, 3x3) tiles an image), with an image a thread.
                let conv4 = try geometry(channels: 512, outputChannels: 512, size: 28, batch: kernelThreadCount)
                let (transformed, untransformed) = (weight.winogradAlgorithm(conv4), plain.winogradAlgorithm(conv4))
                #expect(transformed == .f4x4k3x3 && untransformed == nil)
                // 49 F(2x2, 3x3) tiles (VGG16's 14 x 14 at batch 1) are fewer than half a chunk for each of two threads.
                let narrow = try geometry(channels: 512, outputChannels: 512, size: 14)
                let enough = narrow.winogradTiles(.f2x2k3x3).count >= winogradMinimumTiles
                #expect(weight.winogradAlgorithm(narrow) == (enough ? .f2x2k3x3 : nil))
            }
        }
        let bf16 = try ConvWeight(hwio: w, precision: .bf16, winograd: true)
        let conv4 = try geometry(channels: 512, outputChannels: 512, size: 28, batch: kernelThreadCount)
        let runs = bf16.runsWinograd(conv4)
        #expect(!runs)
    }
}
