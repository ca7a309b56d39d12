import Kernels
import NN
import Tensors

/// Builds layers from parameters named and laid out as a PyTorch `state_dict`: `PREFIX.weight`
/// (`OC x C x KH x KW` for a convolution, `out x in` for a Linear), `PREFIX.bias`, and
/// `PREFIX.weight`, `bias`, `running_mean`, `running_var` for batch normalisation. Weights are
/// transposed into ECGLens's HWIO and `in x out` layouts here, once.
struct TorchLayers {
    let source: ParameterSource

    /// `nn.Conv2d(inputChannels, outputChannels, kernel, stride, padding, bias)` at `prefix`, and
    /// the `nn.BatchNorm2d` at `norm.prefix` after it, if any, folded in.
    func conv(
        _ prefix: String, inputChannels: Int, outputChannels: Int, kernel: (Int, Int),
        stride: (Int, Int) = (1, 1), padding: Padding = .none, bias useBias: Bool = true,
        norm: (prefix: String, epsilon: Float)? = nil, activation: Activation = .identity
    ) throws -> Conv2D {
        let weight = try source.tensor(
            "\(prefix).weight", shape: [outputChannels, inputChannels, kernel.0, kernel.1],
            role: .weight(fanIn: inputChannels * kernel.0 * kernel.1, fanOut: outputChannels * kernel.0 * kernel.1))
        let bias = useBias ? try source.tensor("\(prefix).bias", shape: [outputChannels], role: .bias) : nil
        return try Conv2D(weight: weight.permuted([2, 3, 1, 0]), bias: bias, stride: stride,
                          padding: .explicit(padding), activation: activation,
                          normalization: norm.map { try batchNorm($0.prefix, channels: outputChannels, epsilon: $0.epsilon) })
    }

    /// `nn.BatchNorm2d(channels, eps)` at `prefix`.
    func batchNorm(_ prefix: String, channels: Int, epsilon: Float) throws -> BatchNorm {
        try BatchNorm(source: source, channels: channels, epsilon: epsilon, scale: "\(prefix).weight",
                      shift: "\(prefix).bias", mean: "\(prefix).running_mean", variance: "\(prefix).running_var")
    }

    /// `nn.Linear(inputs, outputs)` at `prefix`.
    func linear(_ prefix: String, inputs: Int, outputs: Int, activation: Activation = .identity) throws -> Dense {
        let weight = try source.tensor("\(prefix).weight", shape: [outputs, inputs], role: .weight(fanIn: inputs, fanOut: outputs))
        return Dense(
            weight: try weight.permuted([1, 0]),
            bias: try source.tensor("\(prefix).bias", shape: [outputs], role: .bias),
            activation: activation)
    }
}

extension TorchLayers {
    /// torchvision Inception's `BasicConv2d` at `prefix`: a bias-free convolution (`PREFIX.conv`),
    /// batch normalisation with epsilon 1e-3 (`PREFIX.bn`) and ReLU, folded into one convolution.
    func basicConv(
        _ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int),
        padding: Padding
    ) throws -> Conv2D {
        try conv("\(prefix).conv", inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel,
                 stride: stride, padding: padding, bias: false, norm: ("\(prefix).bn", 1e-3), activation: .relu)
    }
}
