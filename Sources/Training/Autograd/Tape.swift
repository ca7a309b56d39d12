import Tensors

/// A tensor computed in a forward pass, with the gradient of the loss with respect to it.
///
/// The gradient is allocated, zero-filled, the first time a backward step adds into it; a
/// variable that nothing depends on keeps none, and its producer's backward step is skipped.
public final class Variable {
    /// The forward value.
    public let value: Tensor
    /// Whether any trainable parameter was used to compute it: only then is a gradient worth
    /// propagating through it.
    public let requiresGradient: Bool
    /// The gradient so far, or nil while none has reached it.
    public private(set) var gradient: Tensor?

    /// A variable the loss does not need a gradient for (an input batch, say).
    public init(_ value: Tensor) {
        self.value = value
        requiresGradient = false
    }

    init(_ value: Tensor, requiresGradient: Bool) {
        self.value = value
        self.requiresGradient = requiresGradient
    }

    /// The gradient buffer, created as zeros on first use; backward steps add into it.
    func gradientPointer() -> UnsafeMutablePointer<Float> {
        if let gradient { return gradient.storage.pointer }
        let zeros = Tensor(shape: value.shape, repeating: 0)
        gradient = zeros
        return zeros.storage.pointer
    }

    /// The gradient buffer when this variable needs one, else nil: what a backward step passes
    /// as the input gradient to a kernel that skips a nil buffer.
    var gradientIfNeeded: UnsafeMutablePointer<Float>? { requiresGradient ? gradientPointer() : nil }
}

/// Records a forward pass as a list of backward steps, then replays them in reverse
/// (reverse-mode automatic differentiation, as a tape of closures).
///
/// Each operation (`Tape+*.swift`) computes its output and, in training mode, records a step
/// that reads the output's gradient and adds into its inputs' and parameters' gradients. A
/// value used twice (a residual input, an Inception block's input) receives the sum of both
/// paths' gradients, because every step adds.
///
/// See: karpathy/llm.c's `*_forward`/`*_backward` pairs, which this follows op by op.
public final class Tape {
    /// Training: batch statistics, dropout, backward steps recorded. Evaluation: running
    /// statistics, no dropout, nothing recorded. Tracing: evaluation's forward pass, with the
    /// backward steps and every output recorded (`Tape+Trace.swift`: gradients of inner
    /// activations, for explanations).
    public enum Mode: Sendable { case training, evaluation, tracing }

    public let mode: Mode
    private var steps: [() -> Void] = []
    /// In tracing mode, every recorded output with the index its own backward step got.
    private(set) var traced: [(variable: Variable, step: Int)] = []

    public init(mode: Mode) { self.mode = mode }

    /// Whether operations run in training mode.
    public var isTraining: Bool { mode == .training }

    /// Records `step` to run during `backward()` when `output` needs a gradient; the step runs only
    /// if some gradient reached `output`.
    func record(_ output: Variable, _ step: @escaping (_ outputGradient: UnsafeMutablePointer<Float>) -> Void) {
        guard mode != .evaluation, output.requiresGradient else { return }
        if mode == .tracing { traced.append((output, steps.count)) }
        steps.append {
            guard let gradient = output.gradient else { return }
            step(gradient.storage.pointer)
        }
    }

    /// Runs the recorded steps in reverse order, then forgets them (and the activations they held).
    /// The caller has seeded the loss's gradient.
    public func backward() {
        for step in steps.reversed() { step() }
        steps.removeAll()
        traced.removeAll()
    }

    /// Runs the recorded steps after `index` in reverse (those of the operations recorded after
    /// it), then forgets them all: enough to complete the gradient of the output recorded at `index`.
    func backward(after index: Int) {
        for step in steps[(index + 1)...].reversed() { step() }
        steps.removeAll()
        traced.removeAll()
    }
}
