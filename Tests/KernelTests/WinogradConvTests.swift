@testable import Kernels
import Testing
import Tensors

/// Winograd convolution (`conv2dWinograd`: F(2x2, 3x3), and F(2, 3) and F(2, 7) along rows or
/// columns) on every kernel set with direct tiles.
/// Serialized, since the kernel set in use is process-wide.
@Suite("Winograd convolution: against the naive reference, channel slices, which layers take it", .serialized)
struct WinogradConvTests {
    /// Layers with enough tiles (`enoughImages`) of each algorithm: odd output sizes (a last tile
    /// half outside the image), `same`, valid and explicit padding, several images (tiles in
    /// image-row order over the batch), no bias, every activation, 32-64 input channels and 32-96
    /// output ones.
    static let cases: [ConvCase] = [
        ConvCase(height: 33, width: 31, channels: 32, outputChannels: 32, kernel: (3, 3), padding: .same, activation: .relu),
        ConvCase(batch: 2, height: 26, width: 27, channels: 32, outputChannels: 64, kernel: (3, 3), activation: .relu6),
        ConvCase(height: 40, width: 29, channels: 48, outputChannels: 96, kernel: (3, 3), padding: .same, bias: false),
        ConvCase(batch: 3, height: 16, width: 18, channels: 64, outputChannels: 32, kernel: (3, 3),
                 padding: .explicit(.symmetric(1)), activation: .relu),
        // InceptionV3's 1x7 and 7x1 (padding 3 on the long side), 1x3 and 3x1 layers.
        ConvCase(height: 17, width: 17, channels: 48, outputChannels: 64, kernel: (1, 7), padding: .same, activation: .relu),
        ConvCase(batch: 2, height: 19, width: 16, channels: 32, outputChannels: 32, kernel: (7, 1), padding: .same, bias: false),
        ConvCase(height: 13, width: 12, channels: 32, outputChannels: 96, kernel: (1, 7), activation: .relu6),
        ConvCase(height: 9, width: 8, channels: 64, outputChannels: 32, kernel: (3, 1), padding: .same, activation: .relu),
        ConvCase(batch: 2, height: 8, width: 11, channels: 32, outputChannels: 64, kernel: (1, 3), padding: .same),
    ].map(enoughImages)

    /// `c` with as many images as give the layer `winogradMinimumTiles`, where it has fewer:
    /// machines with more threads run layers with fewer tiles a thread the direct way.
    static func enoughImages(_ c: ConvCase) -> ConvCase {
        let padding = c.padding.resolve(height: c.height, width: c.width, kernel: c.kernel, stride: c.stride)
        let g = ConvGeometry(batch: 1, inputHeight: c.height, inputWidth: c.width, inputChannels: c.channels,
                             outputChannels: c.outputChannels, kernelHeight: c.kernel.0, kernelWidth: c.kernel.1, padding: padding)
        let perImage = g?.winogradTiles.count ?? 0
        precondition(perImage > 0, "\(c.testDescription) has no Winograd algorithm")
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

    @Test("Every runnable set with direct tiles runs the cases by Winograd and gives the reference", arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        if Self.sets.isEmpty { print("WinogradConvTests: no kernel set with direct tiles runs on this CPU") }
        let (input, weight, bias, g) = try prepare(c)
        let want = conv2dNHWC_reference(input, weight: weight.hwio, bias: bias, stride: c.stride, padding: c.padding,
                                        groups: 1, activation: c.activation)
        for set in Self.sets {
            try KernelSet.with(set) {
                let runs = weight.runsWinograd(g)
                #expect(runs, "\(set) \(c.testDescription) does not run by Winograd")
                let got = try input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation)
                checkClose(got, shape: want.shape, want.values, "\(set) \(c.testDescription)")
            }
        }
    }

    @Test("Winograd writes only its channel slice of a wider output (InceptionV3's concatenations)",
          arguments: [(3, 3), (7, 1)])
    func channelSlice(kernel: (Int, Int)) throws {
        let c = Self.enoughImages(ConvCase(batch: 2, height: 25, width: 24, channels: 32, outputChannels: 32, kernel: kernel,
                                           padding: .same, activation: .relu))
        try checkChannelSlice(c, seed: 7, sets: Self.sets) { input, weight, bias, output, offset in
            let prepared = try ConvWeight(hwio: weight, winograd: true)
            let g = try input.convGeometry(weight: prepared, stride: c.stride, padding: c.padding)
            let runs = prepared.runsWinograd(g)
            #expect(runs)
            try input.conv2d(weight: prepared, bias: bias, geometry: g, activation: c.activation, into: output, channelOffset: offset)
        }
    }

    @Test("An image gives the same floats alone as in a batch, whichever chunks its tiles fall in", arguments: [(3, 3), (1, 7)])
    func sameFloatsInAnyChunk(kernel: (Int, Int)) throws {
        let w = randomTensor([kernel.0, kernel.1, 48, 96], seed: 12)
        let weight = try ConvWeight(hwio: w, winograd: true)
        // Rows for a chunk of tiles a thread in one image: 10 · threads rows of 15 tiles (3x3), 20 · threads (1x7).
        let height = 20 * kernelThreadCount
        let batch = randomTensor([2, height, 29, 48], seed: 13)
        let half = batch.count / 2
        let second = try Tensor(shape: [1, height, 29, 48], values: Array(batch.scalars[half...]))
        for set in Self.sets {
            try KernelSet.with(set) {
                let g = try second.convGeometry(weight: weight, stride: (1, 1), padding: .same)
                let batchGeometry = try batch.convGeometry(weight: weight, stride: (1, 1), padding: .same)
                let runs = weight.runsWinograd(g) && weight.runsWinograd(batchGeometry)
                #expect(runs)
                let both = try batch.conv2d(weight: weight, stride: (1, 1), padding: .same, activation: .relu)
                let alone = try second.conv2d(weight: weight, stride: (1, 1), padding: .same, activation: .relu)
                #expect(Array(both.scalars[(both.count / 2)...]) == alone.scalars, "\(set)")
            }
        }
    }

    @Test("One-group 3x3, 1x3, 3x1, 1x7 and 7x1 layers at stride 1 with C a multiple of 16 and OC of 32 take it, with enough tiles; others do not")
    func choice() throws {
        func geometry(channels: Int = 64, outputChannels: Int = 64, size: Int = 56, kernel: (Int, Int) = (3, 3), stride: Int = 1,
                      batch: Int = 1) throws -> ConvGeometry {
            try #require(ConvGeometry(batch: batch, inputHeight: size, inputWidth: size, inputChannels: channels,
                                      outputChannels: outputChannels, kernelHeight: kernel.0, kernelWidth: kernel.1,
                                      strideHeight: stride, strideWidth: stride,
                                      padding: .symmetric(height: kernel.0 / 2, width: kernel.1 / 2)))
        }
        #expect(try geometry().winogradAlgorithm == .f2x2k3x3)
        #expect(try geometry(kernel: (1, 3)).winogradAlgorithm == .f2k1x3)
        #expect(try geometry(kernel: (3, 1)).winogradAlgorithm == .f2k3x1)
        #expect(try geometry(kernel: (1, 7)).winogradAlgorithm == .f2k1x7)
        #expect(try geometry(kernel: (7, 1)).winogradAlgorithm == .f2k7x1)
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
                // VGG16's conv4 (196 tiles an image), with an image a thread.
                let conv4 = try geometry(channels: 512, outputChannels: 512, size: 28, batch: kernelThreadCount)
                let (transformed, untransformed) = (weight.runsWinograd(conv4), plain.runsWinograd(conv4))
                #expect(transformed && !untransformed)
                // 49 tiles (VGG16's 14 x 14 at batch 1) are fewer than half a chunk for each of two threads; 4 images a thread, enough.
                let narrow = try geometry(channels: 512, outputChannels: 512, size: 14)
                let enough = narrow.winogradTiles.count >= winogradMinimumTiles
                #expect(weight.runsWinograd(narrow) == enough)
                let batched = weight.runsWinograd(try geometry(channels: 512, outputChannels: 512, size: 14, batch: 4 * kernelThreadCount))
                #expect(batched)
            }
        }
        let bf16 = try ConvWeight(hwio: w, precision: .bf16, winograd: true)
        let conv4 = try geometry(channels: 512, outputChannels: 512, size: 28, batch: kernelThreadCount)
        let runs = bf16.runsWinograd(conv4)
        #expect(!runs)
    }
}
