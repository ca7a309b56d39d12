import Kernels
import NN
import Tensors

/// Makes convolution layers from Keras-named parameters: `KerasLayers` for inference, a
/// trainable builder for training (MobileNetV2's blocks are defined once, over this).
public protocol KerasLayerFactory {
    associatedtype Conv
    /// `Conv2D` named `name`, then the `BatchNormalization` named `norm`, if any, and `activation`.
    func conv(
        _ name: String, inputChannels: Int, filters: Int, kernel: (Int, Int), stride: (Int, Int),
        padding: PaddingMode, useBias: Bool, norm: String?, activation: Activation
    ) throws -> Conv
    /// `DepthwiseConv2D` named `name` (no bias), then the `BatchNormalization` named `norm` and `activation`.
    func depthwise(
        _ name: String, channels: Int, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode,
        norm: String, activation: Activation
    ) throws -> Conv
}

/// Builds layers from parameters named and laid out as Keras 3 saves them: `NAME/kernel`
/// (`KH x KW x C x OC`, or `KH x KW x C x 1` for a depthwise kernel), `NAME/bias`, and
/// `NAME/gamma`, `beta`, `moving_mean`, `moving_variance` for batch normalisation.
struct KerasLayers: KerasLayerFactory {
    let source: ParameterSource

    /// `Conv2D(filters, kernel, strides, padding, use_bias)` named `name`, and the
    /// `BatchNormalization` named `norm` after it, if any, folded in.
    func conv(
        _ name: String, inputChannels: Int, filters: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: PaddingMode, useBias: Bool = true, norm: String? = nil, activation: Activation = .identity
    ) throws -> Conv2D {
        let weight = try source.tensor(
            "\(name)/kernel", shape: [kernel.0, kernel.1, inputChannels, filters],
            role: .weight(fanIn: kernel.0 * kernel.1 * inputChannels, fanOut: kernel.0 * kernel.1 * filters))
        let bias = useBias ? try source.tensor("\(name)/bias", shape: [filters], role: .bias) : nil
        return try Conv2D(weight: weight, bias: bias, stride: stride, padding: padding, activation: activation,
                          normalization: norm.map { try batchNorm($0, channels: filters) })
    }

    /// `DepthwiseConv2D(kernel, strides, padding, use_bias=False)` named `name`, channel
    /// multiplier 1, and the `BatchNormalization` named `norm` after it folded in.
    func depthwise(
        _ name: String, channels: Int, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode,
        norm: String, activation: Activation
    ) throws -> Conv2D {
        let weight = try source.tensor(
            "\(name)/kernel", shape: [kernel.0, kernel.1, channels, 1], role: .weight(fanIn: kernel.0 * kernel.1, fanOut: kernel.0 * kernel.1))
        // `KH x KW x C x 1` and HWIO `KH x KW x 1 x C` hold the same values in the same order.
        return try Conv2D(weight: weight.reshaped([kernel.0, kernel.1, 1, channels]), bias: nil,
                          stride: stride, padding: padding, groups: channels, activation: activation,
                          normalization: batchNorm(norm, channels: channels))
    }

    /// `BatchNormalization(epsilon)` named `name`.
    func batchNorm(_ name: String, channels: Int, epsilon: Float = 1e-3) throws -> BatchNorm {
        try BatchNorm(source: source, channels: channels, epsilon: epsilon, scale: "\(name)/gamma",
                      shift: "\(name)/beta", mean: "\(name)/moving_mean", variance: "\(name)/moving_variance")
    }

    /// `Dense(units)` named `name`.
    func dense(_ name: String, inputs: Int, units: Int, activation: Activation = .identity) throws -> Dense {
        Dense(
            weight: try source.tensor("\(name)/kernel", shape: [inputs, units], role: .weight(fanIn: inputs, fanOut: units)),
            bias: try source.tensor("\(name)/bias", shape: [units], role: .bias),
            activation: activation)
    }
}
