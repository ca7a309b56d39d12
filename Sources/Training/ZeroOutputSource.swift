import Models
import NN
import Tensors

/// Parameters from `base`, except that the output layers' kernels start at zero, so a network
/// trained from scratch starts by predicting every class equally (loss ln K).
///
/// Without it, random output weights give large wrong logits, and the quickest way for the
/// optimiser to shrink them is to push the hidden layer's pre-activations below zero: the small
/// CNN's `dense` ReLUs, fed 10368 nearly identical non-negative features per ECG page, all died
/// within a few epochs and the network settled on the class prior.
/// NOTE: Keras and PyTorch initialise the output layer randomly; this is ECGLens's choice for
/// `ecg train --recipe scratch`.
public struct ZeroOutputSource: ParameterSource {
    public let base: ParameterSource
    public let zeroed: Set<String>

    public init(_ base: ParameterSource, architecture: Architecture) {
        self.base = base
        zeroed = Set(architecture.outputKernelNames)
    }

    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        zeroed.contains(name) ? Tensor(shape: shape, repeating: 0) : try base.tensor(name, shape: shape, role: role)
    }
}
