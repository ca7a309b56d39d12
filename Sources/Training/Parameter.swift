import NN
import Tensors

/// One named tensor of a network being trained: a weight, a bias, a batch-norm scale or shift
/// (trainable), or a batch-norm running statistic (updated by the forward pass, not by the
/// optimiser). Names and layouts are the reference framework's, exactly as
/// `Architecture.parameterList` lists them, so a trained network saves to a weights file that
/// inference loads unchanged.
///
/// A parameter is a reference: the network, the optimiser and the checkpoint writer share it,
/// and the optimiser updates `value` in place.
public final class Parameter: @unchecked Sendable {
    /// The framework's name (`Conv1/kernel`, `features.0.weight`).
    public let name: String
    /// What the parameter does; decides weight decay and whether it is trained at all.
    public let role: ParameterRole
    /// The current values, in the framework's layout. Owned by this parameter: updated in place.
    public let value: Tensor
    /// The gradient of the loss with respect to `value`, same shape; written by the backward pass.
    public let gradient: Tensor
    /// False while the parameter is frozen (a pretrained backbone, say): the optimiser skips it.
    public var isTrainable: Bool

    /// Copies `initial` into a fresh parameter with a zero gradient.
    public init(name: String, role: ParameterRole, initial: Tensor) {
        self.name = name
        self.role = role
        value = Tensor(shape: initial.shape) { destination in
            initial.withPointer { destination.update(from: $0, count: initial.count) }
        }
        gradient = Tensor(shape: initial.shape, repeating: 0)
        isTrainable = role.isLearned
    }

    /// Sets the gradient to zero.
    public func zeroGradient() {
        gradient.withMutablePointer { $0.update(repeating: 0, count: gradient.count) }
    }
}

extension ParameterRole {
    /// Whether gradient descent changes a parameter of this role (running statistics are not learned).
    public var isLearned: Bool {
        switch self {
        case .runningMean, .runningVariance: false
        case .weight, .bias, .normScale, .normShift: true
        }
    }

    /// Whether decoupled weight decay applies: kernels only, never biases or normalisation.
    public var decays: Bool {
        if case .weight = self { true } else { false }
    }
}
