import Foundation
import Kernels
import NN
import Testing
import Tensors

/// One fused (expansion +) depthwise + pointwise (+ residual) block: MobileNetV2's inverted
/// residual block. `inputChannels` set means an expansion (ReLU6) from that many channels: 1x1, or
/// MobileNetV2's stem (3x3, stride 2, `same`) with `stemExpansion`.
struct DepthwisePointwiseCase: CustomTestStringConvertible, Sendable {
    let batch: Int, height: Int, width: Int, channels: Int, outputChannels: Int
    let inputChannels: Int?
    let stemExpansion: Bool
    let stride: Int
    let residual: Bool
    let pointwiseBias: Bool
    let pointwiseActivation: Activation

    init(batch: Int = 1, height: Int, width: Int, inputChannels: Int? = nil, stemExpansion: Bool = false, channels: Int,
         outputChannels: Int, stride: Int = 1, residual: Bool = false, pointwiseBias: Bool = true,
         pointwiseActivation: Activation = .identity) {
        self.stemExpansion = stemExpansion
        (self.batch, self.height, self.width, self.channels, self.outputChannels) = (batch, height, width, channels, outputChannels)
        self.inputChannels = inputChannels
        (self.stride, self.residual, self.pointwiseBias, self.pointwiseActivation) = (stride, residual, pointwiseBias, pointwiseActivation)
    }

    var testDescription: String {
        "N\(batch) \(height)x\(width)x\(inputChannels.map { "\($0) →\(stemExpansion ? " 3x3 s2" : "") \(channels)" } ?? "\(channels)") dw s\(stride) → \(outputChannels)\(residual ? " + residual" : "")"
            + "\(pointwiseBias ? "" : " no bias") \(pointwiseActivation.rawValue)"
    }

    /// The expansion's kernel, stride and padding.
    var expansion: (kernel: Int, stride: Int, padding: PaddingMode) { stemExpansion ? (3, 2, .same) : (1, 1, .valid) }

    /// The depthwise layer's input size: the expansion's output.
    var depthwiseInputSize: (Int, Int) {
        let s = expansion.stride
        return ((height + s - 1) / s, (width + s - 1) / s)
    }

    var outputSize: (Int, Int) {
        let (h, w) = depthwiseInputSize
        return ((h + stride - 1) / stride, (w + stride - 1) / stride)
    }

    /// Input, depthwise weight and bias (biases wide enough that ReLU6 clips on both sides),
    /// pointwise weight and bias, residual; then the expansion's weight and bias, if any.
    func makeInputs() -> (x: Tensor, dw: Tensor, dwBias: Tensor, pw: Tensor, pwBias: Tensor?, residual: Tensor?) {
        let (oh, ow) = outputSize
        return (randomTensor([batch, height, width, inputChannels ?? channels], seed: 11, in: -2...2),
                randomTensor([3, 3, 1, channels], seed: 12), randomTensor([channels], seed: 13, in: -3...3),
                randomTensor([1, 1, channels, outputChannels], seed: 14),
                pointwiseBias ? randomTensor([outputChannels], seed: 15) : nil,
                residual ? randomTensor([batch, oh, ow, outputChannels], seed: 16) : nil)
    }

    /// The expansion's `K x K x Cin x C` weight and its bias, when the case has one.
    func makeExpansion() -> (weight: Tensor, bias: Tensor)? {
        let k = expansion.kernel
        return inputChannels.map { (randomTensor([k, k, $0, channels], seed: 17), randomTensor([channels], seed: 18, in: -1...1)) }
    }
}

/// The fused depthwise + pointwise kernel (`depthwisePointwiseForward`) against the naive
/// reference and against the three layers run one by one, on every kernel set this CPU can run.
/// Serialized, since the set in use is process-wide.
@Suite("Fused depthwise + pointwise blocks: against the naive reference, and the same floats as separate layers", .serialized)
struct DepthwisePointwiseTests {
    /// MobileNetV2-like shapes (stride 1 and 2 with Keras's `same` padding, 16-960 channels, with
    /// and without the residual), widths that put 12-pixel panels across rows and images, bands
    /// with a partial last panel, and a pointwise layer with a bias and a ReLU.
    static let cases: [DepthwisePointwiseCase] = [
        DepthwisePointwiseCase(height: 9, width: 10, channels: 32, outputChannels: 16),
        DepthwisePointwiseCase(height: 11, width: 13, channels: 48, outputChannels: 24, stride: 2),
        DepthwisePointwiseCase(height: 8, width: 7, channels: 96, outputChannels: 24, residual: true),
        DepthwisePointwiseCase(batch: 2, height: 7, width: 7, channels: 576, outputChannels: 96, residual: true),
        DepthwisePointwiseCase(height: 7, width: 7, channels: 960, outputChannels: 320),
        DepthwisePointwiseCase(batch: 3, height: 5, width: 6, channels: 20, outputChannels: 40, pointwiseActivation: .relu),
        DepthwisePointwiseCase(height: 30, width: 31, channels: 144, outputChannels: 32, stride: 2, pointwiseBias: false),
        // With the expansion: bands whose windows share rows, kept from one band to the next or
        // expanded again on another thread; stride 2 with Keras's bottom/right padding; batches.
        DepthwisePointwiseCase(height: 9, width: 10, inputChannels: 16, channels: 96, outputChannels: 24),
        DepthwisePointwiseCase(batch: 2, height: 28, width: 28, inputChannels: 24, channels: 144, outputChannels: 24, residual: true),
        DepthwisePointwiseCase(height: 56, width: 56, inputChannels: 24, channels: 144, outputChannels: 32, stride: 2),
        DepthwisePointwiseCase(height: 60, width: 60, inputChannels: 16, channels: 192, outputChannels: 24, stride: 2),
        DepthwisePointwiseCase(batch: 3, height: 7, width: 7, inputChannels: 160, channels: 960, outputChannels: 160, residual: true),
        DepthwisePointwiseCase(height: 15, width: 13, inputChannels: 20, channels: 40, outputChannels: 20, stride: 2,
                               pointwiseActivation: .relu),
        // MobileNetV2's stem as block 0's expansion: 3x3 stride 2 from 3 channels, odd and even sizes.
        DepthwisePointwiseCase(batch: 2, height: 29, width: 30, inputChannels: 3, stemExpansion: true, channels: 32,
                               outputChannels: 16),
        DepthwisePointwiseCase(height: 96, width: 96, inputChannels: 3, stemExpansion: true, channels: 32, outputChannels: 16),
    ]

    /// The fused call, and the same layers one by one.
    private func run(_ c: DepthwisePointwiseCase) throws -> (fused: Tensor, separate: Tensor) {
        let (x, dw, dwBias, pw, pwBias, residual) = c.makeInputs()
        let expansion = c.makeExpansion()
        let expand = try expansion.map { try ConvWeight(hwio: $0.weight) }
        let depthwise = try ConvWeight(hwio: dw, groups: c.channels)
        let pointwise = try ConvWeight(hwio: pw)
        let fused = try x.depthwisePointwise(
            expand: expand, expandBias: expansion?.bias, expandStride: (c.expansion.stride, c.expansion.stride),
            expandPadding: c.expansion.padding, expandActivation: .relu6,
            depthwise: depthwise, depthwiseBias: dwBias, stride: (c.stride, c.stride), padding: .same,
            depthwiseActivation: .relu6, pointwise: pointwise, pointwiseBias: pwBias,
            pointwiseActivation: c.pointwiseActivation, residual: residual)
        let expanded = try expand.map {
            try x.conv2d(weight: $0, bias: expansion?.bias, stride: (c.expansion.stride, c.expansion.stride),
                         padding: c.expansion.padding, activation: .relu6)
        } ?? x
        var separate = try expanded.conv2d(weight: depthwise, bias: dwBias, stride: (c.stride, c.stride), padding: .same,
                                           activation: .relu6)
            .conv2d(weight: pointwise, bias: pwBias, activation: c.pointwiseActivation)
        if let residual { separate = try separate.adding(residual) }
        return (fused, separate)
    }

    @Test("Every runnable set's fused block matches the naive depthwise, pointwise and sum", arguments: cases)
    func matchesReference(_ c: DepthwisePointwiseCase) throws {
        let (x, dw, dwBias, pw, pwBias, residual) = c.makeInputs()
        let expanded = try c.makeExpansion().map { e in
            let y = conv2dNHWC_reference(x, weight: e.weight, bias: e.bias, stride: (c.expansion.stride, c.expansion.stride),
                                         padding: c.expansion.padding, groups: 1, activation: .relu6)
            return try Tensor(shape: y.shape, values: y.values)
        } ?? x
        let hidden = conv2dNHWC_reference(expanded, weight: dw, bias: dwBias, stride: (c.stride, c.stride), padding: .same,
                                          groups: c.channels, activation: .relu6)
        var want = conv2dNHWC_reference(try Tensor(shape: hidden.shape, values: hidden.values), weight: pw, bias: pwBias,
                                        stride: (1, 1), padding: .valid, groups: 1, activation: c.pointwiseActivation)
        if let residual { want.values = zip(want.values, residual.scalars).map { $0 + $1 } }
        for set in KernelSet.supported {
            try KernelSet.with(set) {
                let (fused, _) = try run(c)
                checkClose(fused, shape: want.shape, want.values, atol: 2e-4, "\(set) \(c.testDescription)")
            }
        }
    }

    @Test("Every runnable set's fused block gives exactly the floats of the three separate layers", arguments: cases)
    func sameFloatsAsSeparateLayers(_ c: DepthwisePointwiseCase) throws {
        for set in KernelSet.supported {
            try KernelSet.with(set) {
                let (fused, separate) = try run(c)
                #expect(fused.shape == separate.shape)
                #expect(fused.scalars == separate.scalars, "\(set) \(c.testDescription)")
            }
        }
    }

    @Test("A second layer that is not 1x1 is refused")
    func notPointwiseRefused() throws {
        let x = randomTensor([1, 6, 7, 8], seed: 21)
        #expect(throws: TensorError.self) {
            try x.depthwisePointwise(
                depthwise: ConvWeight(hwio: randomTensor([3, 3, 1, 8], seed: 22), groups: 8), depthwiseBias: nil,
                stride: (1, 1), padding: .same, depthwiseActivation: .relu6,
                pointwise: ConvWeight(hwio: randomTensor([3, 3, 8, 5], seed: 23)), pointwiseBias: nil,
                pointwiseActivation: .identity, residual: nil)
        }
    }

    @Test("A residual of the wrong shape is refused")
    func residualShapeChecked() throws {
        let x = randomTensor([1, 4, 4, 8], seed: 31)
        #expect(throws: TensorError.self) {
            try x.depthwisePointwise(
                depthwise: ConvWeight(hwio: randomTensor([3, 3, 1, 8], seed: 32), groups: 8), depthwiseBias: nil,
                stride: (1, 1), padding: .same, depthwiseActivation: .relu6,
                pointwise: ConvWeight(hwio: randomTensor([1, 1, 8, 4], seed: 33)), pointwiseBias: nil,
                pointwiseActivation: .identity, residual: Tensor(shape: [1, 4, 4, 5]))
        }
    }
}
