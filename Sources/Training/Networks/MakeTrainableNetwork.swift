import Models
import NN
import Tensors

/// Builds the trainable version of `architecture`, with parameters from `source` (a weights
/// file, an imported Keras or PyTorch file, `RandomParameterSource`, or a
/// `FallbackParameterSource` for a backbone-only file). Its parameters are named, shaped and
/// ordered exactly as `architecture.parameterList` lists them, and its evaluation-mode logits
/// equal the inference network's built from the same values.
/// - Parameters:
///   - inputSize: the side of the square input; fixes the small CNN's dense layer (default: the architecture's).
///   - options: InceptionV3's `transformInput`.
/// - Throws: the source's error for a missing or misshapen parameter.
public func makeTrainableNetwork(
    _ architecture: Architecture, classes: Int, inputSize: Int? = nil, options: NetworkOptions = .init(),
    parameters source: ParameterSource
) throws -> any TrainableNetwork {
    try architecture.family.make(TrainableMaker(factory: TrainableLayerFactory(source: source)),
                                 architecture.configuration(classes: classes, inputSize: inputSize, options: options))
}

/// Parameters by name from a trained or training network: builds the inference network from
/// the current values (`Architecture.build(parameters: ParameterValues(network.parameters), …)`).
public struct ParameterValues: ParameterSource {
    private let values: [String: Tensor]

    public init(_ parameters: [Parameter]) {
        values = Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// - Throws: `TensorError` when there is no such parameter or its shape differs.
    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        guard let tensor = values[name] else { throw TensorError.invalidArgument("no parameter named \(name)") }
        guard tensor.shape == shape else { throw TensorError.shapeMismatch(expected: shape, got: tensor.shape) }
        return tensor
    }
}
