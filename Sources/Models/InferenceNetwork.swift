import NN
import Tensors

/// An architecture's description built with inference layers (`Conv2D`, `Dense`) and run by
/// `InferenceOps`: the `Network` every classifier uses. Keras architectures end in a softmax.
public struct InferenceNetwork<Definition: ArchitectureDefinition>: Network
where Definition.Conv == Conv2D, Definition.Linear == Dense {
    public let architecture: Architecture
    /// The layers, with parameters read and batch normalisation folded in.
    public let layers: Definition

    public init(architecture: Architecture, layers: Definition) {
        (self.architecture, self.layers) = (architecture, layers)
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor { try run(input, InferenceOps()) }

    public func callAsFunction(_ input: Tensor, ops: Int8CalibrationOps) throws -> Tensor { try run(input, ops) }

    private func run<Ops: NetworkOps>(_ input: Tensor, _ ops: Ops) throws -> Tensor
    where Ops.Value == Tensor, Ops.Conv == Conv2D, Ops.Linear == Dense {
        let logits = try layers.forward(input, ops).logits
        return architecture.outputsProbabilities ? logits.softmax() : logits
    }
}

/// Makes an `InferenceNetwork` of whatever layers the family builds.
struct InferenceMaker: NetworkMaker {
    let architecture: Architecture
    let factory: InferenceLayerFactory

    func make<Definition: ArchitectureDefinition>(_ definition: Definition) throws -> any Network
    where Definition.Conv == Conv2D, Definition.Linear == Dense {
        InferenceNetwork(architecture: architecture, layers: definition)
    }
}

/// Builds the layers as specs and keeps the list of them.
struct SpecMaker: NetworkMaker {
    let factory = SpecLayerFactory()

    func make<Definition: ArchitectureDefinition>(_ definition: Definition) throws -> [LayerSpec]
    where Definition.Conv == ConvSpec, Definition.Linear == LinearSpec {
        factory.layers
    }
}
