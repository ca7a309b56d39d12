import NN
import Tensors

/// A network that can hand out its penultimate features (the input of its last layer) together
/// with its output, from one forward pass: what the novelty check (`NoveltyModel` in Inference)
/// measures the distance of an image from the training data on, at no extra cost per image.
public protocol PenultimateFeatures: Network {
    /// The layer whose output the features are (its parameter name, e.g. `dense`).
    var penultimateLayer: String { get }
    /// The number of features per image.
    var penultimateWidth: Int { get }
    /// `N x H x W x 3` preprocessed images → the penultimate features (`N x penultimateWidth`)
    /// and the network's output (`N x classes`), exactly what `callAsFunction` returns.
    func penultimateAndOutput(_ input: Tensor) throws -> (features: Tensor, output: Tensor)
    /// The rest of the network: penultimate features (`N x penultimateWidth`) → its output.
    func output(fromPenultimate features: Tensor) throws -> Tensor
}

extension Network {
    /// This network's penultimate features, or nil when its architecture does not offer them.
    public var penultimate: (any PenultimateFeatures)? { self as? any PenultimateFeatures }
}

/// An architecture description whose forward pass runs through one penultimate layer: the
/// features (``penultimate(_:_:)``), then the last layer (``logits(fromPenultimate:_:)``). Its
/// inference network is then a ``PenultimateFeatures``.
public protocol PenultimateDefinition: ArchitectureDefinition {
    /// The layer whose output the features are (its parameter name, e.g. `dense`).
    var penultimateLayer: String { get }
    /// The number of features per image.
    var penultimateWidth: Int { get }
    /// Input → the penultimate layer's output (after its activation, before dropout).
    func penultimate<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear
    /// Penultimate features → logits (dropout, then the last layer).
    func logits<Ops: NetworkOps>(fromPenultimate features: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear
}

extension InferenceNetwork: PenultimateFeatures where Definition: PenultimateDefinition {
    public var penultimateLayer: String { layers.penultimateLayer }
    public var penultimateWidth: Int { layers.penultimateWidth }

    public func penultimateAndOutput(_ input: Tensor) throws -> (features: Tensor, output: Tensor) {
        let features = try layers.penultimate(input, InferenceOps())
        return (features, try output(fromPenultimate: features))
    }

    public func output(fromPenultimate features: Tensor) throws -> Tensor {
        let logits = try layers.logits(fromPenultimate: features, InferenceOps())
        return architecture.outputsProbabilities ? logits.softmax() : logits
    }
}
