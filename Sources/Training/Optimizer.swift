import Foundation
import Tensors

/// A rule that turns each trainable parameter's gradient into an update of its value.
///
/// An optimiser keeps per-parameter state (moments, momentum buffers) keyed by the parameter's
/// identity, so one optimiser serves one training phase; a new phase (new learning rate, other
/// parameters unfrozen) starts a fresh optimiser, as recompiling a Keras model does.
public protocol Optimizer: AnyObject {
    /// Updates every trainable parameter among `parameters` in place; frozen ones and running
    /// statistics are left alone.
    func step(_ parameters: [Parameter], learningRate: Float)
}

/// Adam with decoupled weight decay, as PyTorch's `torch.optim.AdamW` (without amsgrad).
///
/// For each step `t`: `p -= lr * wd * p`; `m = b1 m + (1 - b1) g`; `v = b2 v + (1 - b2) g²`;
/// `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
///
/// See: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", https://arxiv.org/abs/1711.05101
/// and https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
/// NOTE: weight decay applies to kernels only (`ParameterRole.decays`), never to biases or
/// batch-norm parameters; PyTorch decays whatever its parameter group holds.
public final class AdamW: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    private var moments: [ObjectIdentifier: Moments] = [:]

    /// First and second moment estimates of one parameter, and its step count.
    private final class Moments {
        var first: [Float]
        var second: [Float]
        var step = 0
        init(count: Int) {
            first = [Float](repeating: 0, count: count)
            second = [Float](repeating: 0, count: count)
        }
    }

    /// PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        for parameter in parameters where parameter.isTrainable {
            let state = moments[ObjectIdentifier(parameter), default: Moments(count: parameter.value.count)]
            moments[ObjectIdentifier(parameter)] = state
            state.step += 1
            let decay = parameter.role.decays ? 1 - learningRate * weightDecay : 1
            let stepSize = learningRate / (1 - Float(pow(Double(beta1), Double(state.step))))
            let correction2 = (1 - Float(pow(Double(beta2), Double(state.step)))).squareRoot()
            let (b1, b2, eps) = (beta1, beta2, epsilon)
            parameter.value.withMutablePointer { value in
                parameter.gradient.withPointer { gradient in
                    state.first.withUnsafeMutableBufferPointer { m in
                        state.second.withUnsafeMutableBufferPointer { v in
                            for i in 0 ..< m.count {
                                let g = gradient[i]
                                m[i] = b1 * m[i] + (1 - b1) * g
                                v[i] = b2 * v[i] + (1 - b2) * g * g
                                let denominator = v[i].squareRoot() / correction2 + eps
                                value[i] = value[i] * decay - stepSize * m[i] / denominator
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Stochastic gradient descent with momentum, as PyTorch's `torch.optim.SGD` (no dampening).
///
/// For each step: `d = g + wd * p`; `b = d` on the first step, else `b = momentum * b + d`
/// (`d + momentum * b` again when Nesterov); `p -= lr * b`.
///
/// See: https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
/// NOTE: weight decay (L2, coupled as in PyTorch's SGD) applies to kernels only.
public final class SGD: Optimizer {
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    private var buffers: [ObjectIdentifier: Buffer] = [:]

    private final class Buffer {
        var values: [Float]
        init(count: Int) { values = [Float](repeating: 0, count: count) }
    }

    public init(momentum: Float = 0.9, weightDecay: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        for parameter in parameters where parameter.isTrainable {
            let key = ObjectIdentifier(parameter)
            let isFirst = buffers[key] == nil
            let buffer = buffers[key, default: Buffer(count: parameter.value.count)]
            buffers[key] = buffer
            let decay = parameter.role.decays ? weightDecay : 0
            let (mu, nesterov) = (momentum, nesterov)
            parameter.value.withMutablePointer { value in
                parameter.gradient.withPointer { gradient in
                    buffer.values.withUnsafeMutableBufferPointer { b in
                        for i in 0 ..< b.count {
                            let d = gradient[i] + decay * value[i]
                            b[i] = isFirst ? d : mu * b[i] + d
                            value[i] -= learningRate * (nesterov ? d + mu * b[i] : b[i])
                        }
                    }
                }
            }
        }
    }
}
