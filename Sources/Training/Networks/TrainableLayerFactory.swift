import Kernels
import NN
import Tensors

/// Makes trainable layers from an architecture's layer specs: each parameter the spec lists
/// becomes a `Parameter`, with its initial value from `source`, in the spec's order, so the
/// network's parameter list equals `Architecture.parameterList`.
final class TrainableLayerFactory: LayerFactory {
    let source: ParameterSource
    /// Every parameter created, in order.
    private(set) var parameters: [Parameter] = []

    init(source: ParameterSource) { self.source = source }

    private func parameter(_ spec: ParameterSpec) throws -> Parameter {
        let parameter = Parameter(name: spec.name, role: spec.role, initial: try source.tensor(spec))
        parameters.append(parameter)
        return parameter
    }

    func conv(_ spec: ConvSpec) throws -> ConvUnit {
        let weight = try parameter(spec.weight)
        let bias = try spec.bias.map { try parameter($0) }
        let norm = try spec.norm.map { norm in
            BatchNormLayer(scale: try parameter(norm.scale), shift: try parameter(norm.shift),
                           mean: try parameter(norm.mean), variance: try parameter(norm.variance),
                           epsilon: norm.epsilon, convention: norm.convention)
        }
        return ConvUnit(conv: ConvLayer(weight: weight, bias: bias, layout: spec.layout, stride: spec.stride, padding: spec.padding),
                        norm: norm, activation: spec.activation)
    }

    func linear(_ spec: LinearSpec) throws -> DenseUnit {
        DenseUnit(layer: DenseLayer(weight: try parameter(spec.weight), bias: try parameter(spec.bias), isTransposed: spec.isTransposed),
                  activation: spec.activation)
    }
}

/// A convolution, the batch normalisation after it (if any) and the activation: one step of a
/// network's forward pass on the tape.
struct ConvUnit: Sendable {
    let conv: ConvLayer
    let norm: BatchNormLayer?
    let activation: Activation

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        guard let norm else { return try tape.conv2d(x, conv, activation: activation) }
        return try tape.batchNorm(tape.conv2d(x, conv), norm, activation: activation)
    }
}

/// A fully connected layer and its activation.
struct DenseUnit: Sendable {
    let layer: DenseLayer
    let activation: Activation
}
