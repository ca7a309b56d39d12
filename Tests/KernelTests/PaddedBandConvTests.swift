@testable import Kernels
import NN
import Testing
import Tensors

/// Convolutions on padded bands (`convolvePaddedBands`): one-group layers, not pointwise, with
/// output rows of 28 pixels or more, on the direct tiles over zero-padded copies of input rows.
/// Serialized, since the kernel set in use is process-wide.
@Suite("Padded-band convolution: the reference on every kernel set, channel slices, which layers take it", .serialized)
struct PaddedBandConvTests {
    /// Layers that take the path: rows of whole tiles (36) and with a partial last tile (32-40
    /// wide), a partial column panel (48 = 32 + 16 output channels), Keras's stride-2 `same`
    /// padding (the extra row and column at the bottom and right), InceptionV3's 1x7 and 7x1 layers,
    /// a valid 5x5 layer, a patch deeper than one 512-deep slice, several images (bands never
    /// cross one), and a band split that leaves a short last band; then thin layers, whose bands
    /// hold more rows (`paddedBandRows`): a 3-channel stem at stride 1 (small_cnn's, valid) and at
    /// stride 2 (InceptionV3's), both in two bands or more an image, and a 16-channel layer.
    static let cases: [ConvCase] = [
        ConvCase(batch: 2, height: 24, width: 36, channels: 32, outputChannels: 32, kernel: (3, 3), padding: .same, activation: .relu),
        ConvCase(height: 9, width: 35, channels: 40, outputChannels: 48, kernel: (3, 3), padding: .same, activation: .relu6),
        ConvCase(height: 12, width: 67, channels: 32, outputChannels: 16, kernel: (3, 3), stride: (2, 2), padding: .same),
        ConvCase(height: 8, width: 66, channels: 32, outputChannels: 32, kernel: (3, 3), stride: (2, 2), padding: .same, bias: false),
        ConvCase(height: 5, width: 34, channels: 33, outputChannels: 40, kernel: (1, 7), padding: .same, activation: .relu),
        ConvCase(height: 11, width: 33, channels: 36, outputChannels: 32, kernel: (7, 1), padding: .same),
        ConvCase(height: 9, width: 36, channels: 32, outputChannels: 24, kernel: (5, 5)),
        ConvCase(batch: 3, height: 7, width: 40, channels: 80, outputChannels: 64, kernel: (3, 3),
                 padding: .explicit(.symmetric(1)), activation: .relu),
        ConvCase(height: 37, width: 37, channels: 32, outputChannels: 32, kernel: (3, 3), padding: .same),
        ConvCase(height: 200, width: 30, channels: 3, outputChannels: 16, kernel: (3, 3), activation: .relu),
        ConvCase(height: 121, width: 61, channels: 3, outputChannels: 32, kernel: (3, 3), stride: (2, 2), activation: .relu),
        ConvCase(batch: 2, height: 50, width: 40, channels: 16, outputChannels: 32, kernel: (3, 3), padding: .same),
    ]

    /// The case's geometry, as `Tensor.conv2d` works it out.
    static func geometry(_ c: ConvCase) throws -> ConvGeometry {
        let (input, weight, _) = c.makeInputs()
        return try input.convGeometry(weight: ConvWeight(hwio: weight), stride: c.stride, padding: c.padding)
    }

    @Test("Every runnable set gives the reference for layers that take padded bands", arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        #expect(try Self.geometry(c).prefersPaddedBands, "\(c.testDescription) does not take padded bands")
        for set in KernelSet.supported {
            try KernelSet.with(set) { try checkConvolution(c) }
        }
    }

    @Test("Padded bands write only their channel slice of a wider output (InceptionV3's concatenations)")
    func channelSlice() throws {
        let c = ConvCase(batch: 2, height: 6, width: 39, channels: 48, outputChannels: 40, kernel: (3, 3), padding: .same,
                         activation: .relu)
        #expect(try Self.geometry(c).prefersPaddedBands)
        try checkChannelSlice(c, seed: 3, sets: KernelSet.supported) { input, weight, bias, output, offset in
            try Conv2D(weight: weight, bias: bias, padding: c.padding, activation: c.activation)(input, into: output, channelOffset: offset)
        }
    }

    @Test("One-group layers with rows of 28+ pixels take padded bands, thin ones too, in more rows a band; pointwise, grouped and narrow ones do not")
    func choice() throws {
        func geometry(channels: Int, width: Int, kernel: (Int, Int) = (3, 3), stride: Int = 1, groups: Int = 1) throws -> ConvGeometry {
            try #require(ConvGeometry(batch: 1, inputHeight: 20, inputWidth: width, inputChannels: channels, outputChannels: 64,
                                      kernelHeight: kernel.0, kernelWidth: kernel.1, strideHeight: stride, strideWidth: stride,
                                      padding: .symmetric(height: kernel.0 / 2, width: kernel.1 / 2), groups: groups))
        }
        #expect(try geometry(channels: 64, width: 224).prefersPaddedBands)      // VGG16's conv1_2
        #expect(try geometry(channels: 256, width: 56).prefersPaddedBands)      // VGG16's conv3
        #expect(try geometry(channels: 64, width: 35).prefersPaddedBands)       // InceptionV3's 35x35 blocks
        #expect(try geometry(channels: 512, width: 28).prefersPaddedBands)      // VGG16's conv4
        #expect(try geometry(channels: 160, width: 32, kernel: (1, 7)).prefersPaddedBands)
        #expect(try geometry(channels: 64, width: 66, stride: 2).prefersPaddedBands)  // 33 wide out
        #expect(try !geometry(channels: 512, width: 14).prefersPaddedBands)    // narrow: packed
        #expect(try !geometry(channels: 192, width: 17, kernel: (7, 1)).prefersPaddedBands)
        #expect(try geometry(channels: 3, width: 299).prefersPaddedBands)      // small_cnn's stem
        #expect(try !geometry(channels: 16, width: 20).prefersPaddedBands)     // thin and narrow: direct tiles
        #expect(try !geometry(channels: 64, width: 100, kernel: (1, 1)).prefersPaddedBands)  // pointwise
        #expect(try !geometry(channels: 64, width: 100, groups: 2).prefersPaddedBands)
        #expect(try geometry(channels: 3, width: 299).paddedBandRows == 16)   // 64 KiB of rows of 301 x 3 floats
        #expect(try geometry(channels: 64, width: 224).paddedBandRows == 1)   // 19 tiles a row
        #expect(try geometry(channels: 64, width: 35).paddedBandRows == 5)    // 3 tiles a row
    }

    @Test("Bands cover every row of every image once, hold at most maxRows, and share rows out evenly")
    func bandsCoverTheRowsEvenly() {
        for (rows, images, maxRows) in [(35, 1, 5), (35, 8, 5), (17, 1, 4), (8, 1, 16), (7, 3, 2), (1, 1, 1), (224, 1, 1)] {
            let bands = evenBands(rows: rows, images: images, maxRows: maxRows)
            #expect(bands.count == images * bands.perImage)
            var covered = [Int](repeating: 0, count: images * rows)
            for index in 0..<bands.count {
                let (image, band) = bands.band(index)
                #expect(!band.isEmpty && band.count <= maxRows && band.count <= bands.maxRows, "\(rows) rows, band \(index): \(band)")
                for row in band { covered[image * rows + row] += 1 }
            }
            #expect(covered.allSatisfy { $0 == 1 }, "\(rows) rows x \(images) images")
            // Threads taking equally many consecutive bands take rows within one band's worth.
            let threads = kernelThreadCount
            if bands.count % threads == 0 {
                let each = bands.count / threads
                let shares = (0..<threads).map { t in (t * each..<(t + 1) * each).reduce(0) { $0 + bands.band($1).rows.count } }
                #expect(shares.max()! - shares.min()! <= bands.maxRows, "\(rows) rows x \(images): \(shares)")
            }
        }
    }
}
