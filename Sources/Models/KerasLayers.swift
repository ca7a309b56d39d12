import Kernels
import NN
import Tensors

/// Builds layers from parameters named and laid out as Keras 3 saves them: `NAME/kernel`
/// (`KH x KW x C x OC`, or `KH x KW x C x 1` for a depthwise kernel), `NAME/bias`, and
/// `NAME/gamma`, `beta`, `moving_mean`, `moving_variance` for batch normalisation.
struct KerasLayers {
    let source: ParameterSource

    /// `Conv2D(filters, kernel, strides, padding, use_bias)` named `name`.
    func conv(
        _ name: String, inputChannels: Int, filters: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: PaddingMode, useBias: Bool = true, activation: Activation = .identity
    ) throws -> Conv2D {
        let weight = try source.tensor(
            "\(name)/kernel", shape: [kernel.0, kernel.1, inputChannels, filters],
            role: .weight(fanIn: kernel.0 * kernel.1 * inputChannels))
        let bias = useBias ? try source.tensor("\(name)/bias", shape: [filters], role: .bias) : nil
        return try Conv2D(weight: weight, bias: bias, stride: stride, padding: padding, activation: activation)
    }

    /// `DepthwiseConv2D(kernel, strides, padding, use_bias=False)` named `name`, channel multiplier 1.
    func depthwise(
        _ name: String, channels: Int, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode
    ) throws -> Conv2D {
        let weight = try source.tensor(
            "\(name)/kernel", shape: [kernel.0, kernel.1, channels, 1], role: .weight(fanIn: kernel.0 * kernel.1))
        // `KH x KW x C x 1` and HWIO `KH x KW x 1 x C` hold the same values in the same order.
        return try Conv2D(weight: weight.reshaped([kernel.0, kernel.1, 1, channels]), bias: nil,
                      stride: stride, padding: padding, groups: channels)
    }

    /// `BatchNormalization(epsilon)` named `name`.
    func batchNorm(_ name: String, channels: Int, epsilon: Float = 1e-3) throws -> BatchNorm {
        try BatchNorm(source: source, channels: channels, epsilon: epsilon, scale: "\(name)/gamma",
                      shift: "\(name)/beta", mean: "\(name)/moving_mean", variance: "\(name)/moving_variance")
    }

    /// A convolution with the batch normalisation after it folded in.
    func convNorm(_ conv: Conv2D, _ normName: String, activation: Activation) throws -> Conv2D {
        try conv.folding(batchNorm(normName, channels: conv.outputChannels), activation: activation)
    }

    /// `Dense(units)` named `name`.
    func dense(_ name: String, inputs: Int, units: Int, activation: Activation = .identity) throws -> Dense {
        Dense(
            weight: try source.tensor("\(name)/kernel", shape: [inputs, units], role: .weight(fanIn: inputs)),
            bias: try source.tensor("\(name)/bias", shape: [units], role: .bias),
            activation: activation)
    }
}
