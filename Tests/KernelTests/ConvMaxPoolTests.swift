import Foundation
@testable import Kernels
import Testing
import Tensors

/// One fused convolution + max pooling: small_cnn's layers, VGG16's and InceptionV3's.
struct ConvMaxPoolCase: CustomTestStringConvertible, Sendable {
    let batch: Int, height: Int, width: Int, channels: Int, outputChannels: Int
    let kernel: Int, stride: Int
    let padding: PaddingMode
    let bias: Bool
    let pool: (kernel: Int, stride: Int)

    init(batch: Int = 1, height: Int, width: Int, channels: Int, outputChannels: Int, kernel: Int = 3, stride: Int = 1,
         padding: PaddingMode = .same, bias: Bool = true, pool: (kernel: Int, stride: Int) = (4, 4)) {
        (self.batch, self.height, self.width, self.channels, self.outputChannels) = (batch, height, width, channels, outputChannels)
        (self.kernel, self.stride, self.padding, self.bias, self.pool) = (kernel, stride, padding, bias, pool)
    }

    var testDescription: String {
        "N\(batch) \(height)x\(width)x\(channels) k\(kernel) s\(stride) \(padding) → \(outputChannels)\(bias ? "" : " no bias"), "
            + "pool \(pool.kernel)/\(pool.stride)"
    }

    func makeInputs() -> (x: Tensor, weight: Tensor, bias: Tensor?) {
        (randomTensor([batch, height, width, channels], seed: 41),
         randomTensor([kernel, kernel, channels, outputChannels], seed: 42),
         bias ? randomTensor([outputChannels], seed: 43, in: -0.5...0.5) : nil)
    }
}

/// The fused convolution + max pooling (`conv2dMaxPoolForward`) against the naive reference and
/// against the two layers run one by one, on every kernel set this CPU can run.
@Suite("Fused convolution + max pooling: against the naive reference, and the same floats as separate layers", .serialized)
struct ConvMaxPoolTests {
    /// small_cnn's two layers (smaller, and its 299-pixel stem whole: many bands, on both threads),
    /// floor-mode rows and columns no window covers, overlapping windows, stride 2, no padding; then
    /// `paddedCases`. small_cnn's layers, thin but 28 pixels wide or more, run on padded bands too;
    /// the third and fourth cases, narrower, on the direct tiles of `convolveBlock`.
    static let cases: [ConvMaxPoolCase] = [
        ConvMaxPoolCase(height: 37, width: 35, channels: 3, outputChannels: 16),
        ConvMaxPoolCase(batch: 2, height: 30, width: 30, channels: 16, outputChannels: 32),
        ConvMaxPoolCase(height: 21, width: 20, channels: 5, outputChannels: 8, stride: 2, padding: .valid, bias: false,
                        pool: (2, 2)),
        ConvMaxPoolCase(batch: 3, height: 17, width: 17, channels: 16, outputChannels: 20, pool: (3, 2)),
        ConvMaxPoolCase(height: 299, width: 299, channels: 3, outputChannels: 16),
    ] + paddedCases

    /// Layers whose convolution runs on padded bands (where the kernel set has direct tiles):
    /// VGG16's (2x2 pools, a partial column panel), InceptionV3's (3x3 windows at stride 2 over a
    /// valid convolution), and one with several bands an image, so that a thread keeps the row its
    /// consecutive bands share.
    static let paddedCases: [ConvMaxPoolCase] = [
        ConvMaxPoolCase(batch: 2, height: 12, width: 30, channels: 32, outputChannels: 48, pool: (2, 2)),
        ConvMaxPoolCase(height: 15, width: 31, channels: 40, outputChannels: 32, padding: .valid, pool: (3, 2)),
        ConvMaxPoolCase(height: 77, width: 62, channels: 32, outputChannels: 64, padding: .valid, pool: (3, 2)),
    ]

    private func run(_ c: ConvMaxPoolCase) throws -> (fused: Tensor, separate: Tensor) {
        let (x, w, bias) = c.makeInputs()
        let weight = try ConvWeight(hwio: w)
        let fused = try x.conv2dMaxPool(weight: weight, bias: bias, stride: (c.stride, c.stride), padding: c.padding,
                                        activation: .relu, poolKernel: (c.pool.kernel, c.pool.kernel),
                                        poolStride: (c.pool.stride, c.pool.stride))
        let separate = try x.conv2d(weight: weight, bias: bias, stride: (c.stride, c.stride), padding: c.padding, activation: .relu)
            .maxPool2d(kernel: (c.pool.kernel, c.pool.kernel), stride: (c.pool.stride, c.pool.stride))
        return (fused, separate)
    }

    @Test("The padded cases' convolutions and small_cnn's take padded bands, the two narrow cases do not")
    func paddedCasesTakePaddedBands() throws {
        for (index, c) in Self.cases.enumerated() {
            let (x, w, _) = c.makeInputs()
            let g = try x.convGeometry(weight: ConvWeight(hwio: w), stride: (c.stride, c.stride), padding: c.padding)
            #expect(g.prefersPaddedBands == !(2...3).contains(index), "\(c.testDescription)")
        }
    }

    @Test("Inference fuses small_cnn's layers and VGG16's from 28 px, not VGG16's 14 x 14 one nor a grouped one")
    func whichLayersFuse() throws {
        func geometry(_ size: Int, _ channels: Int, _ outputChannels: Int, groups: Int = 1) throws -> ConvGeometry {
            try #require(ConvGeometry(batch: 1, inputHeight: size, inputWidth: size, inputChannels: channels,
                                      outputChannels: outputChannels, kernelHeight: 3, kernelWidth: 3,
                                      padding: .symmetric(1), groups: groups))
        }
        #expect(try geometry(299, 3, 16).prefersFusedMaxPool)
        #expect(try geometry(74, 16, 32).prefersFusedMaxPool)
        #expect(try geometry(224, 64, 64).prefersFusedMaxPool)
        #expect(try geometry(28, 512, 512).prefersFusedMaxPool)
        #expect(try !geometry(14, 512, 512).prefersFusedMaxPool)
        #expect(try !geometry(56, 64, 64, groups: 2).prefersFusedMaxPool)
    }

    @Test("Every runnable set's fused layers match the naive convolution and pooling", arguments: cases.prefix(4) + paddedCases.prefix(2))
    func matchesReference(_ c: ConvMaxPoolCase) throws {
        let (x, w, bias) = c.makeInputs()
        let conv = conv2dNHWC_reference(x, weight: w, bias: bias, stride: (c.stride, c.stride), padding: c.padding, groups: 1,
                                        activation: .relu)
        let want = pool2dNHWC_reference(try Tensor(shape: conv.shape, values: conv.values), kernel: (c.pool.kernel, c.pool.kernel),
                                        stride: (c.pool.stride, c.pool.stride), padding: .valid, ceilMode: false, max: true)
        for set in KernelSet.supported {
            try KernelSet.with(set) {
                checkClose(try run(c).fused, shape: want.shape, want.values, atol: 1e-4, "\(set) \(c.testDescription)")
            }
        }
    }

    @Test("Every runnable set's fused layers give exactly the floats of the two separate layers", arguments: cases)
    func sameFloatsAsSeparateLayers(_ c: ConvMaxPoolCase) throws {
        for set in KernelSet.supported {
            try KernelSet.with(set) {
                let (fused, separate) = try run(c)
                #expect(fused.shape == separate.shape)
                #expect(fused.scalars == separate.scalars, "\(set) \(c.testDescription)")
            }
        }
    }

    @Test("A grouped weight is refused")
    func groupedRefused() throws {
        let x = randomTensor([1, 8, 8, 4], seed: 51)
        #expect(throws: TensorError.self) {
            try x.conv2dMaxPool(weight: ConvWeight(hwio: randomTensor([3, 3, 1, 4], seed: 52), groups: 4), bias: nil,
                                stride: (1, 1), padding: .same, activation: .relu, poolKernel: (2, 2), poolStride: (2, 2))
        }
    }
}
