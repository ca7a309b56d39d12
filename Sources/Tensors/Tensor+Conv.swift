import Kernels

/// How a convolution or pooling layer pads its input.
public enum PaddingMode: Sendable, Equatable {
    /// Keras `valid`: no padding.
    case valid
    /// Keras/TensorFlow `same`: `ceil(input / stride)` outputs, extra padding bottom/right.
    case same
    /// Fixed padding, as PyTorch's `padding=` or Keras's `ZeroPadding2D`.
    case explicit(Padding)

    /// The padding for an input of the given size.
    public func resolve(height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int)) -> Padding {
        switch self {
        case .valid: .none
        case .same: .same(inputHeight: height, inputWidth: width, kernelHeight: kernel.0,
                          kernelWidth: kernel.1, strideHeight: stride.0, strideWidth: stride.1)
        case let .explicit(padding): padding
        }
    }
}

/// A convolution weight prepared once for the kernels: the HWIO tensor, and its packed GEMM
/// panels (none for a depthwise weight, whose kernel reads the HWIO values directly).
public struct ConvWeight: Sendable {
    /// `KH x KW x C/groups x OC`.
    public let hwio: Tensor
    public let groups: Int
    let packed: PackedConvWeight?

    /// - Parameters:
    ///   - precision: bf16 or int8 also packs the weight in that format (`Precision`), where the CPU has it.
    ///   - winograd: also keep an fp32 weight of a shape some Winograd algorithm takes
    ///     (`WinogradTransforms`), which layers at stride 1 then run by (`conv2dWinograd`), each
    ///     algorithm's transform made the first time a layer runs by it. For inference.
    /// - Throws: `TensorError` unless `hwio` is 4-D with output channels divisible by `groups`.
    public init(hwio: Tensor, groups: Int = 1, precision: Precision = .fp32, winograd: Bool = false) throws {
        guard hwio.rank == 4, groups > 0, hwio.shape[3] % groups == 0 else {
            throw TensorError.invalidArgument("a convolution weight must be KH x KW x C/groups x OC, got \(hwio.shape) for \(groups) groups")
        }
        self.hwio = hwio
        self.groups = groups
        let s = hwio.shape
        packed = Self.isDepthwise(s, groups: groups) ? nil : hwio.withPointer {
            PackedConvWeight(hwio: $0, patchSize: s[0] * s[1] * s[2], outputChannels: s[3], groups: groups, precision: precision,
                             winograd: winograd && precision == .fp32 ? (s[0], s[1]) : nil)
        }
    }

    /// Whether a convolution of geometry `g` by this weight runs by Winograd (`conv2dWinograd`).
    public func runsWinograd(_ g: ConvGeometry) -> Bool { winogradAlgorithm(g) != nil }

    /// The Winograd algorithm a convolution of geometry `g` by this weight runs by, or nil.
    public func winogradAlgorithm(_ g: ConvGeometry) -> WinogradAlgorithm? { packed?.winogradAlgorithm(g) }

    /// The low-precision panels the weight was packed with (`Precision`; fp32: none), which the
    /// convolution runs on where the kernel set has their tiles.
    public var packedPrecision: Precision { packed?.groups.first?.precision ?? .fp32 }

    /// Whether this is a depthwise weight (one filter per channel), run by the depthwise kernel.
    public var isDepthwise: Bool { packed == nil }

    /// One filter per channel: `groups == C == OC`.
    static func isDepthwise(_ shape: [Int], groups: Int) -> Bool { groups > 1 && shape[2] == 1 && shape[3] == groups }
}

extension Tensor {
    /// 2-D convolution of an NHWC batch: `activation(conv(self, weight) + bias)`.
    ///
    /// See: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
    /// NOTE: the weight is HWIO (`KH x KW x C/groups x OC`, Keras's layout), not PyTorch's OIHW.
    /// - Parameters:
    ///   - weight: `KH x KW x C/groups x OC`. Layers that run many times pass a `ConvWeight`
    ///     instead, packed once.
    ///   - bias: `OC` values, or nil.
    /// - Returns: `N x OH x OW x OC`.
    /// - Throws: `TensorError` when the shapes do not fit together.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: PaddingMode = .valid,
        groups: Int = 1, activation: Activation = .identity
    ) throws -> Tensor {
        try conv2d(weight: ConvWeight(hwio: weight, groups: groups), bias: bias, stride: stride, padding: padding,
                   activation: activation)
    }

    /// 2-D convolution with a prepared weight; see `conv2d(weight:bias:stride:padding:groups:activation:)`.
    public func conv2d(
        weight: ConvWeight, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: PaddingMode = .valid,
        activation: Activation = .identity
    ) throws -> Tensor {
        let geometry = try convGeometry(weight: weight, stride: stride, padding: padding)
        let output = Tensor(
            shape: [geometry.batch, geometry.outputHeight, geometry.outputWidth, geometry.outputChannels],
            uninitializedFill: { _ in })
        try conv2d(weight: weight, bias: bias, geometry: geometry, activation: activation, into: output, channelOffset: 0)
        return output
    }

    /// The geometry of a convolution of this input by `weight`.
    /// - Throws: `TensorError` when the shapes do not fit together.
    public func convGeometry(weight: ConvWeight, stride: (Int, Int), padding: PaddingMode) throws -> ConvGeometry {
        try Self.convGeometry(inputShape: shape, weight: weight, stride: stride, padding: padding)
    }

    /// The geometry of a convolution by `weight` of an input of shape `shape` (`N x H x W x C`).
    /// - Throws: `TensorError` when the shapes do not fit together.
    static func convGeometry(inputShape shape: [Int], weight: ConvWeight, stride: (Int, Int), padding: PaddingMode) throws -> ConvGeometry {
        let rank = shape.count
        let w = weight.hwio.shape
        guard rank == 4 else { throw TensorError.invalidArgument("conv2d expects an NHWC input, got shape \(shape)") }
        guard w[2] * weight.groups == shape[3] else {
            throw TensorError.shapeMismatch(expected: [w[0], w[1], shape[3] / weight.groups, w[3]], got: w)
        }
        let pad = padding.resolve(height: shape[1], width: shape[2], kernel: (w[0], w[1]), stride: stride)
        guard let geometry = ConvGeometry(
            batch: shape[0], inputHeight: shape[1], inputWidth: shape[2], inputChannels: shape[3],
            outputChannels: w[3], kernelHeight: w[0], kernelWidth: w[1],
            strideHeight: stride.0, strideWidth: stride.1, padding: pad, groups: weight.groups)
        else {
            throw TensorError.invalidArgument("conv2d: kernel \(w) does not fit input \(shape) with padding \(pad)")
        }
        return geometry
    }

    /// Runs a convolution whose geometry is known and writes it into channels
    /// `channelOffset ..< channelOffset + OC` of `output` (`N x OH x OW x total`), so that the
    /// branches of an Inception block fill their concatenation without copies.
    /// - Throws: `TensorError.shapeMismatch` when the input, `output` or `bias` do not fit the geometry.
    public func conv2d(
        weight: ConvWeight, bias: Tensor?, geometry g: ConvGeometry, activation: Activation,
        into output: Tensor, channelOffset: Int
    ) throws {
        guard shape == [g.batch, g.inputHeight, g.inputWidth, g.inputChannels],
              weight.hwio.shape == [g.kernelHeight, g.kernelWidth, g.inputChannels / g.groups, g.outputChannels],
              weight.groups == g.groups else {
            throw TensorError.shapeMismatch(expected: [g.batch, g.inputHeight, g.inputWidth, g.inputChannels], got: shape)
        }
        let expected = [g.batch, g.outputHeight, g.outputWidth]
        guard output.rank == 4, Array(output.shape.prefix(3)) == expected,
              channelOffset >= 0, channelOffset + g.outputChannels <= output.shape[3] else {
            throw TensorError.shapeMismatch(expected: expected + [channelOffset + g.outputChannels], got: output.shape)
        }
        if let bias, bias.count != g.outputChannels {
            throw TensorError.shapeMismatch(expected: [g.outputChannels], got: bias.shape)
        }
        let out = output.storage.pointer + channelOffset
        let ldo = output.shape[3]
        let biasPointer = bias.map { UnsafePointer($0.storage.pointer) }
        withPointer { input in
            if let packed = weight.packed {
                conv2dForward(output: out, outputPixelStride: ldo, input: input, weight: packed, bias: biasPointer,
                              geometry: g, activation: activation)
            } else {
                weight.hwio.withPointer { w in
                    depthwiseConv2dForward(output: out, outputPixelStride: ldo, input: input, weight: w,
                                           bias: biasPointer, geometry: g, activation: activation)
                }
            }
        }
        withExtendedLifetime((bias, output)) {}
    }
}
