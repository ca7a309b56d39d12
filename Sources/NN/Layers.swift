import Kernels
import Tensors

/// A 2-D convolution over NHWC tensors, with its activation fused, and any batch normalisation
/// that followed it folded into its weight and bias.
///
/// See: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
/// NOTE: the weight is HWIO (`KH x KW x C/groups x OC`); PyTorch weights are transposed on load.
public struct Conv2D: Sendable {
    /// `KH x KW x C/groups x OC`, packed for the kernels once, here.
    public let convWeight: ConvWeight
    /// `KH x KW x C/groups x OC`.
    public var weight: Tensor { convWeight.hwio }
    /// `OC` values, or nil.
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: PaddingMode
    public var groups: Int { convWeight.groups }
    public let activation: Activation
    /// The name of the parameter the weight came from (`block_1_expand/kernel`), when built from a
    /// parameter source: what int8 calibration (`Int8Calibration`) knows the layer by.
    public let name: String?

    /// - Parameters:
    ///   - normalization: a batch normalisation that followed the convolution, folded into its
    ///     weight and bias here, before the weight is packed.
    ///   - precision: bf16 or int8 also packs the weight in that format, for inference (`Precision`).
    ///   - name: the name of the parameter the weight came from, by which int8 calibration knows the layer.
    /// - Throws: `TensorError` unless `weight` is `KH x KW x C/groups x OC` and `normalization`
    ///   has `OC` channels.
    public init(weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1), padding: PaddingMode = .valid,
                groups: Int = 1, activation: Activation = .identity, normalization: BatchNorm? = nil,
                precision: Precision = .fp32, name: String? = nil) throws {
        var (weight, bias) = (weight, bias)
        if let normalization { (weight, bias) = try Self.fold(normalization, weight: weight, bias: bias) }
        convWeight = try ConvWeight(hwio: weight, groups: groups, precision: precision, winograd: stride == (1, 1))
        self.name = name
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.activation = activation
    }

    /// The number of output channels.
    public var outputChannels: Int { weight.shape[3] }

    /// `N x H x W x C` → `N x OH x OW x OC`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.conv2d(weight: convWeight, bias: bias, stride: stride, padding: padding, activation: activation)
    }

    /// Writes the output into channels `channelOffset ..< channelOffset + OC` of `output`.
    public func callAsFunction(_ x: Tensor, into output: Tensor, channelOffset: Int) throws {
        let geometry = try x.convGeometry(weight: convWeight, stride: stride, padding: padding)
        try x.conv2d(weight: convWeight, bias: bias, geometry: geometry, activation: activation,
                     into: output, channelOffset: channelOffset)
    }

    /// The weight and bias of a convolution followed by `norm` in inference mode, as one
    /// convolution: `w' = w · γ/√(σ²+ε)` per output channel and `b' = (b − μ) · γ/√(σ²+ε) + β`.
    static func fold(_ norm: BatchNorm, weight: Tensor, bias: Tensor?) throws -> (weight: Tensor, bias: Tensor) {
        let channels = weight.shape.last ?? 0
        guard norm.scale.count == channels, norm.shift.count == channels,
              norm.mean.count == channels, norm.variance.count == channels else {
            throw TensorError.shapeMismatch(expected: [channels], got: [norm.scale.count])
        }
        let scale = (0..<channels).map { norm.scale[$0] / (norm.variance[$0] + norm.epsilon).squareRoot() }
        let folded = Tensor(shape: weight.shape) { w in
            weight.withPointer { source in
                for i in 0..<weight.count { w[i] = source[i] * scale[i % channels] }
            }
        }
        let newBias = Tensor(shape: [channels]) { b in
            for c in 0..<channels {
                b[c] = ((bias?.storage.pointer[c] ?? 0) - norm.mean[c]) * scale[c] + norm.shift[c]
            }
        }
        return (folded, newBias)
    }
}

/// Batch normalisation's inference-time parameters, held only until folded into a convolution.
///
/// See: https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
/// NOTE: Keras's default epsilon is 1e-3, PyTorch's 1e-5; torchvision's Inception uses 1e-3.
public struct BatchNorm: Sendable {
    public let scale: [Float], shift: [Float], mean: [Float], variance: [Float]
    public let epsilon: Float

    public init(scale: [Float], shift: [Float], mean: [Float], variance: [Float], epsilon: Float) {
        (self.scale, self.shift, self.mean, self.variance, self.epsilon) = (scale, shift, mean, variance, epsilon)
    }
}

/// A fully connected layer with its activation fused.
///
/// See: https://keras.io/api/layers/core_layers/dense/
/// NOTE: the weight is `in x out` (Keras); PyTorch's `Linear.weight` is transposed on load.
public struct Dense: Sendable {
    /// `inputFeatures x outputFeatures`.
    public let weight: Tensor
    /// `outputFeatures` values, or nil.
    public let bias: Tensor?
    public let activation: Activation

    public init(weight: Tensor, bias: Tensor?, activation: Activation = .identity) {
        (self.weight, self.bias, self.activation) = (weight, bias, activation)
    }

    /// `N x in` → `N x out`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.dense(weight: weight, bias: bias, activation: activation)
    }
}
