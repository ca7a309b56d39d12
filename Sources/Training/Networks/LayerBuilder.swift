import Kernels
import NN
import Tensors

/// Creates a trainable network's parameters from a source, named, shaped and ordered as the
/// inference builders (`KerasLayers`, `TorchLayers` in Models) ask for them, so the list equals
/// `Architecture.parameterList`.
final class LayerBuilder {
    let source: ParameterSource
    /// Every parameter created, in order.
    private(set) var parameters: [Parameter] = []

    init(source: ParameterSource) { self.source = source }

    func parameter(_ name: String, _ shape: [Int], _ role: ParameterRole) throws -> Parameter {
        let parameter = Parameter(name: name, role: role, initial: try source.tensor(name, shape: shape, role: role))
        parameters.append(parameter)
        return parameter
    }

    // MARK: - Keras names and layouts

    /// `Conv2D` named `name` (`NAME/kernel`, `NAME/bias`), then the `BatchNormalization` named `norm`.
    func conv(
        _ name: String, inputChannels: Int, filters: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: PaddingMode, useBias: Bool = true, norm: String? = nil, activation: Activation = .identity
    ) throws -> ConvUnit {
        let weight = try parameter("\(name)/kernel", [kernel.0, kernel.1, inputChannels, filters],
                                   .weight(fanIn: kernel.0 * kernel.1 * inputChannels, fanOut: kernel.0 * kernel.1 * filters))
        let bias = useBias ? try parameter("\(name)/bias", [filters], .bias) : nil
        return ConvUnit(conv: ConvLayer(weight: weight, bias: bias, layout: .hwio, stride: stride, padding: padding),
                        norm: try norm.map { try kerasNorm($0, channels: filters) }, activation: activation)
    }

    /// `DepthwiseConv2D` named `name` without bias, then the `BatchNormalization` named `norm`.
    func depthwise(
        _ name: String, channels: Int, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode,
        norm: String, activation: Activation
    ) throws -> ConvUnit {
        let weight = try parameter("\(name)/kernel", [kernel.0, kernel.1, channels, 1], .weight(fanIn: kernel.0 * kernel.1, fanOut: kernel.0 * kernel.1))
        return ConvUnit(conv: ConvLayer(weight: weight, bias: nil, layout: .depthwise, stride: stride, padding: padding),
                        norm: try kerasNorm(norm, channels: channels), activation: activation)
    }

    /// `BatchNormalization(epsilon=1e-3)` named `name`.
    func kerasNorm(_ name: String, channels: Int) throws -> BatchNormLayer {
        BatchNormLayer(
            scale: try parameter("\(name)/gamma", [channels], .normScale),
            shift: try parameter("\(name)/beta", [channels], .normShift),
            mean: try parameter("\(name)/moving_mean", [channels], .runningMean),
            variance: try parameter("\(name)/moving_variance", [channels], .runningVariance),
            epsilon: 1e-3, convention: .keras)
    }

    /// `Dense(units)` named `name`.
    func kerasDense(_ name: String, inputs: Int, units: Int) throws -> DenseLayer {
        DenseLayer(weight: try parameter("\(name)/kernel", [inputs, units], .weight(fanIn: inputs, fanOut: units)),
                   bias: try parameter("\(name)/bias", [units], .bias), isTransposed: false)
    }

    // MARK: - PyTorch names and layouts

    /// `nn.Conv2d` at `prefix` (`PREFIX.weight` as `OC x C x KH x KW`), then the `nn.BatchNorm2d` at `norm.prefix`.
    func torchConv(
        _ prefix: String, inputChannels: Int, outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: Padding = .none, bias useBias: Bool = true, norm: (prefix: String, epsilon: Float)? = nil,
        activation: Activation = .identity
    ) throws -> ConvUnit {
        let weight = try parameter("\(prefix).weight", [outputChannels, inputChannels, kernel.0, kernel.1],
                                   .weight(fanIn: inputChannels * kernel.0 * kernel.1, fanOut: outputChannels * kernel.0 * kernel.1))
        let bias = useBias ? try parameter("\(prefix).bias", [outputChannels], .bias) : nil
        let normLayer = try norm.map { norm in
            BatchNormLayer(
                scale: try parameter("\(norm.prefix).weight", [outputChannels], .normScale),
                shift: try parameter("\(norm.prefix).bias", [outputChannels], .normShift),
                mean: try parameter("\(norm.prefix).running_mean", [outputChannels], .runningMean),
                variance: try parameter("\(norm.prefix).running_var", [outputChannels], .runningVariance),
                epsilon: norm.epsilon, convention: .torch)
        }
        return ConvUnit(conv: ConvLayer(weight: weight, bias: bias, layout: .oihw, stride: stride, padding: .explicit(padding)),
                        norm: normLayer, activation: activation)
    }

    /// torchvision Inception's `BasicConv2d`: bias-free convolution, batch norm (epsilon 1e-3), ReLU.
    func basicConv(
        _ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int),
        padding: Padding
    ) throws -> ConvUnit {
        try torchConv("\(prefix).conv", inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel,
                      stride: stride, padding: padding, bias: false, norm: ("\(prefix).bn", 1e-3), activation: .relu)
    }

    /// `nn.Linear` at `prefix` (`PREFIX.weight` as `out x in`).
    func linear(_ prefix: String, inputs: Int, outputs: Int) throws -> DenseLayer {
        DenseLayer(weight: try parameter("\(prefix).weight", [outputs, inputs], .weight(fanIn: inputs, fanOut: outputs)),
                   bias: try parameter("\(prefix).bias", [outputs], .bias), isTransposed: true)
    }
}

/// A convolution, the batch normalisation after it (if any) and the activation: one step of a
/// network's forward pass.
struct ConvUnit {
    let conv: ConvLayer
    let norm: BatchNormLayer?
    let activation: Activation

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        guard let norm else { return try tape.conv2d(x, conv, activation: activation) }
        return try tape.batchNorm(tape.conv2d(x, conv), norm, activation: activation)
    }
}
