import Determinism
import Models
import Tensors

/// A trainable network whose forward pass runs on a `Tape`: the training step and evaluation
/// logits are the same for every architecture, around its own `forward`.
protocol TapeNetwork: TrainableNetwork {
    /// The main logits (`N x classes`) and, for InceptionV3 in training, the auxiliary head's.
    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?)
}

extension TapeNetwork {
    public func trainingStep(
        images: Tensor, labels: [Int], classWeights: [Float]?, auxiliaryLossWeight: Float, generator: inout SplitMix64
    ) throws -> StepResult {
        for parameter in parameters where parameter.isTrainable { parameter.zeroGradient() }
        let tape = Tape(mode: .training)
        let (logits, auxiliary) = try forward(Variable(images), tape: tape, generator: &generator)
        var loss = try tape.crossEntropy(logits, labels: labels, classWeights: classWeights)
        if let auxiliary, auxiliaryLossWeight != 0 {
            loss += auxiliaryLossWeight * (try tape.crossEntropy(
                auxiliary, labels: labels, classWeights: classWeights, scale: auxiliaryLossWeight))
        }
        tape.backward()
        return StepResult(loss: loss, logits: logits.value)
    }

    public func logits(_ images: Tensor) throws -> Tensor {
        var unused = SplitMix64(seed: 0)  // evaluation draws no dropout masks
        return try forward(Variable(images), tape: Tape(mode: .evaluation), generator: &unused).logits.value
    }
}

/// An architecture's description (`Models`) built with trainable layers: its forward pass, the
/// same code inference runs, here on the tape through `TapeOps`.
final class TrainableModel<Definition: ArchitectureDefinition>: TapeNetwork
where Definition.Conv == ConvUnit, Definition.Linear == DenseUnit {
    let parameters: [Parameter]
    let layers: Definition

    init(parameters: [Parameter], layers: Definition) { (self.parameters, self.layers) = (parameters, layers) }

    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?) {
        let ops = TapeOps(tape: tape, generator: generator)
        let output = try layers.forward(images, ops)
        generator = ops.generator
        return (output.logits, output.auxiliary)
    }
}

/// Makes a `TrainableModel` of whatever layers the family builds.
struct TrainableMaker: NetworkMaker {
    let factory: TrainableLayerFactory

    func make<Definition: ArchitectureDefinition>(_ definition: Definition) throws -> any TrainableNetwork
    where Definition.Conv == ConvUnit, Definition.Linear == DenseUnit {
        TrainableModel(parameters: factory.parameters, layers: definition)
    }
}
