import Determinism
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
