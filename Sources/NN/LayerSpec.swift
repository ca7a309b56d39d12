import Kernels
import Tensors

// What a layer is, before any tensor exists: its parameters (name, shape, role, in the
// reference framework's order and layout) and its settings. An architecture declares its layers
// as specs, once; a `LayerFactory` turns each spec into an inference layer (`Conv2D`, `Dense`),
// a trainable one (Training's `ConvUnit`), or keeps the spec (the parameter list). The Keras and
// PyTorch naming conventions live here and nowhere else.

/// One parameter a layer reads: its framework name, shape in the framework's layout, and role.
public struct ParameterSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let role: ParameterRole

    public init(_ name: String, _ shape: [Int], _ role: ParameterRole) {
        (self.name, self.shape, self.role) = (name, shape, role)
    }
}

extension ParameterSource {
    /// The parameter `spec` names, in its shape.
    public func tensor(_ spec: ParameterSpec) throws -> Tensor {
        try tensor(spec.name, shape: spec.shape, role: spec.role)
    }
}

/// How a convolution's weight is laid out in its framework's files.
public enum ConvLayout: Sendable {
    /// Keras's `KH x KW x C x OC`, the kernels' own layout.
    case hwio
    /// PyTorch's `OC x C x KH x KW`, transposed to HWIO for the kernels.
    case oihw
    /// Keras's depthwise `KH x KW x C x 1`: the same memory as HWIO `KH x KW x 1 x C`.
    case depthwise
}

/// Which framework's batch normalisation: they differ in how running statistics move.
public enum NormConvention: Sendable {
    /// Keras: `moving = 0.99 · moving + 0.01 · batch`, with the batch's biased variance. A layer
    /// whose scale is frozen runs in inference mode, as a frozen Keras layer does.
    case keras
    /// PyTorch: `running = 0.9 · running + 0.1 · batch`, with the unbiased variance.
    case torch
}

/// A batch normalisation: its four vectors and epsilon.
public struct NormSpec: Sendable {
    public let scale, shift, mean, variance: ParameterSpec
    public let epsilon: Float
    public let convention: NormConvention

    /// Keras `BatchNormalization(epsilon)` named `name`: `NAME/gamma`, `beta`, `moving_mean`, `moving_variance`.
    public static func keras(_ name: String, channels: Int, epsilon: Float = 1e-3) -> NormSpec {
        NormSpec(scale: ParameterSpec("\(name)/gamma", [channels], .normScale),
                 shift: ParameterSpec("\(name)/beta", [channels], .normShift),
                 mean: ParameterSpec("\(name)/moving_mean", [channels], .runningMean),
                 variance: ParameterSpec("\(name)/moving_variance", [channels], .runningVariance),
                 epsilon: epsilon, convention: .keras)
    }

    /// PyTorch `nn.BatchNorm2d(channels, eps)` at `prefix`: `PREFIX.weight`, `bias`, `running_mean`, `running_var`.
    public static func torch(_ prefix: String, channels: Int, epsilon: Float) -> NormSpec {
        NormSpec(scale: ParameterSpec("\(prefix).weight", [channels], .normScale),
                 shift: ParameterSpec("\(prefix).bias", [channels], .normShift),
                 mean: ParameterSpec("\(prefix).running_mean", [channels], .runningMean),
                 variance: ParameterSpec("\(prefix).running_var", [channels], .runningVariance),
                 epsilon: epsilon, convention: .torch)
    }

    /// The four vectors in the frameworks' order.
    public var parameters: [ParameterSpec] { [scale, shift, mean, variance] }
}

/// A convolution, the batch normalisation after it (if any) and its activation.
public struct ConvSpec: Sendable {
    public let weight: ParameterSpec
    public let bias: ParameterSpec?
    public let layout: ConvLayout
    public let stride: (Int, Int)
    public let padding: PaddingMode
    public let norm: NormSpec?
    public let activation: Activation

    /// Every parameter, in the order factories read them: weight, bias, then the normalisation's.
    public var parameters: [ParameterSpec] { [weight] + (bias.map { [$0] } ?? []) + (norm?.parameters ?? []) }

    /// One group, or one per channel for a depthwise convolution.
    public var groups: Int { layout == .depthwise ? weight.shape[2] : 1 }

    /// The number of output channels.
    public var outputChannels: Int {
        switch layout {
        case .hwio: weight.shape[3]
        case .oihw: weight.shape[0]
        case .depthwise: weight.shape[2]
        }
    }

    /// Keras `Conv2D(filters, kernel, strides, padding, use_bias)` named `name` (`NAME/kernel`
    /// as `KH x KW x C x OC`, `NAME/bias`), then the `BatchNormalization` named `norm`, if any.
    public static func keras(
        _ name: String, inputChannels: Int, filters: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: PaddingMode, useBias: Bool = true, norm: String? = nil, activation: Activation = .identity
    ) -> ConvSpec {
        ConvSpec(
            weight: ParameterSpec("\(name)/kernel", [kernel.0, kernel.1, inputChannels, filters],
                                  .weight(fanIn: kernel.0 * kernel.1 * inputChannels, fanOut: kernel.0 * kernel.1 * filters)),
            bias: useBias ? ParameterSpec("\(name)/bias", [filters], .bias) : nil,
            layout: .hwio, stride: stride, padding: padding,
            norm: norm.map { NormSpec.keras($0, channels: filters) }, activation: activation)
    }

    /// Keras `DepthwiseConv2D(kernel, strides, padding, use_bias=False)` named `name`
    /// (`NAME/kernel` as `KH x KW x C x 1`), channel multiplier 1, then the `BatchNormalization` named `norm`.
    public static func kerasDepthwise(
        _ name: String, channels: Int, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode,
        norm: String, activation: Activation
    ) -> ConvSpec {
        ConvSpec(
            weight: ParameterSpec("\(name)/kernel", [kernel.0, kernel.1, channels, 1],
                                  .weight(fanIn: kernel.0 * kernel.1, fanOut: kernel.0 * kernel.1)),
            bias: nil, layout: .depthwise, stride: stride, padding: padding,
            norm: NormSpec.keras(norm, channels: channels), activation: activation)
    }

    /// PyTorch `nn.Conv2d(inputChannels, outputChannels, kernel, stride, padding, bias)` at
    /// `prefix` (`PREFIX.weight` as `OC x C x KH x KW`, `PREFIX.bias`), then the `nn.BatchNorm2d`
    /// at `norm.prefix`, if any.
    public static func torch(
        _ prefix: String, inputChannels: Int, outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: Padding = .none, bias useBias: Bool = true, norm: (prefix: String, epsilon: Float)? = nil,
        activation: Activation = .identity
    ) -> ConvSpec {
        ConvSpec(
            weight: ParameterSpec("\(prefix).weight", [outputChannels, inputChannels, kernel.0, kernel.1],
                                  .weight(fanIn: inputChannels * kernel.0 * kernel.1, fanOut: outputChannels * kernel.0 * kernel.1)),
            bias: useBias ? ParameterSpec("\(prefix).bias", [outputChannels], .bias) : nil,
            layout: .oihw, stride: stride, padding: .explicit(padding),
            norm: norm.map { NormSpec.torch($0.prefix, channels: outputChannels, epsilon: $0.epsilon) },
            activation: activation)
    }
}

/// A fully connected layer and its activation.
public struct LinearSpec: Sendable {
    public let weight: ParameterSpec
    public let bias: ParameterSpec
    /// False for Keras's `in x out` kernel, true for PyTorch's `out x in` weight.
    public let isTransposed: Bool
    public let activation: Activation

    public var parameters: [ParameterSpec] { [weight, bias] }

    /// Keras `Dense(units)` named `name`: `NAME/kernel` (`in x out`), `NAME/bias`.
    public static func keras(_ name: String, inputs: Int, units: Int, activation: Activation = .identity) -> LinearSpec {
        LinearSpec(weight: ParameterSpec("\(name)/kernel", [inputs, units], .weight(fanIn: inputs, fanOut: units)),
                   bias: ParameterSpec("\(name)/bias", [units], .bias), isTransposed: false, activation: activation)
    }

    /// PyTorch `nn.Linear(inputs, outputs)` at `prefix`: `PREFIX.weight` (`out x in`), `PREFIX.bias`.
    public static func torch(_ prefix: String, inputs: Int, outputs: Int, activation: Activation = .identity) -> LinearSpec {
        LinearSpec(weight: ParameterSpec("\(prefix).weight", [outputs, inputs], .weight(fanIn: inputs, fanOut: outputs)),
                   bias: ParameterSpec("\(prefix).bias", [outputs], .bias), isTransposed: true, activation: activation)
    }
}

/// Turns layer specs into layers of one kind: what an architecture's description is built with.
/// `InferenceLayerFactory` makes `Conv2D`/`Dense` from a `ParameterSource`; Training's factory
/// makes trainable units; `SpecLayerFactory` keeps the specs.
public protocol LayerFactory {
    associatedtype Conv: Sendable
    associatedtype Linear: Sendable
    func conv(_ spec: ConvSpec) throws -> Conv
    func linear(_ spec: LinearSpec) throws -> Linear
}

/// One layer of an architecture, as declared.
public enum LayerSpec: Sendable {
    case conv(ConvSpec)
    case linear(LinearSpec)

    /// The layer's parameters, in order.
    public var parameters: [ParameterSpec] {
        switch self {
        case let .conv(spec): spec.parameters
        case let .linear(spec): spec.parameters
        }
    }
}

/// Keeps each spec as the layer and records it: an architecture's layer and parameter lists
/// without allocating a single weight.
public final class SpecLayerFactory: LayerFactory {
    /// Every layer made so far, in order.
    public private(set) var layers: [LayerSpec] = []

    public init() {}

    public func conv(_ spec: ConvSpec) -> ConvSpec {
        layers.append(.conv(spec))
        return spec
    }

    public func linear(_ spec: LinearSpec) -> LinearSpec {
        layers.append(.linear(spec))
        return spec
    }
}
