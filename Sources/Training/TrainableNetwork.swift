import Determinism
import Tensors

/// What one training step on a batch produced.
public struct StepResult: Sendable {
    /// The mean loss over the batch (class-weighted where weights were given), auxiliary loss included.
    public var loss: Float
    /// The main head's logits, `N x classes`, for accuracy bookkeeping.
    public var logits: Tensor
}

/// A network that can learn: a forward pass in training mode (batch statistics, dropout), a
/// backward pass that fills every trainable parameter's gradient, and an evaluation-mode forward
/// pass that equals the inference network built from the same parameters.
public protocol TrainableNetwork: AnyObject {
    /// Every parameter, in `Architecture.parameterList` order (running statistics included).
    var parameters: [Parameter] { get }

    /// Runs forward and backward on one batch (`N x S x S x 3`, preprocessed) with integer labels.
    ///
    /// Overwrites each trainable parameter's `gradient` with the gradient of the mean
    /// (class-weighted) cross-entropy, plus `auxiliaryLossWeight` times the auxiliary head's loss
    /// where the architecture has one; updates batch-norm running statistics.
    /// - Parameters:
    ///   - classWeights: a weight per class (nil: all 1); the loss is `sum(w_y * ce) / sum(w_y)`.
    ///   - generator: the source of dropout masks, so runs repeat for a seed.
    func trainingStep(images: Tensor, labels: [Int], classWeights: [Float]?, auxiliaryLossWeight: Float,
                      generator: inout SplitMix64) throws -> StepResult

    /// The logits, `N x classes`, in evaluation mode (running statistics, no dropout).
    func logits(_ images: Tensor) throws -> Tensor
}
