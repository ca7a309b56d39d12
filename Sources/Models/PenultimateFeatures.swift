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
