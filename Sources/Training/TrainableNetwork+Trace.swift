import Determinism
import Tensors

/// The last convolutional block's output for one image, and the gradient of one class's logit
/// with respect to it: what Grad-CAM weighs (see the Explain module).
public struct SpatialGradient: Sendable {
    /// The logits, one per class, in evaluation mode.
    public let logits: [Float]
    /// The class whose logit was differentiated.
    public let classIndex: Int
    /// The activation, `1 x H x W x C`.
    public let activation: Tensor
    /// d logit[classIndex] / d activation, same shape.
    public let gradient: Tensor
}

/// Why a network cannot be traced.
public enum TraceError: Error, CustomStringConvertible {
    case notTraceable
    case noSpatialActivation
    case classOutOfRange(Int, classes: Int)

    public var description: String {
        switch self {
        case .notTraceable: "this network does not run on an autograd tape, so it cannot be explained"
        case .noSpatialActivation: "the network has no activation with more than one pixel before its classifier (input too small?)"
        case .classOutOfRange(let index, let classes): "class \(index) is out of range: the model has \(classes) classes"
        }
    }
}

extension TrainableNetwork {
    /// Runs the evaluation-mode forward pass (running batch-norm statistics, no dropout) of one
    /// image on a tracing tape, finds the last 4-D activation with more than one pixel (the
    /// output of the last convolutional block, before global pooling or flattening, whatever
    /// the architecture), and backpropagates the logit of `classIndex` (the top class when nil)
    /// to it, and no further.
    ///
    /// The parameters are treated as constants during the call (no parameter gradient is
    /// computed, none is changed); do not train the network on another thread meanwhile.
    /// - Parameter image: `1 x S x S x 3`, preprocessed as the model expects.
    /// - Throws: ``TraceError``; `TensorError` for an image of the wrong shape.
    public func lastSpatialGradient(image: Tensor, classIndex: Int?) throws -> SpatialGradient {
        guard let network = self as? any TapeNetwork else { throw TraceError.notTraceable }
        guard image.rank == 4, image.shape[0] == 1 else {
            throw TensorError.shapeMismatch(expected: [1, image.shape.count > 1 ? image.shape[1] : 0, 0, 3], got: image.shape)
        }
        let trainable = parameters.map(\.isTrainable)
        parameters.forEach { $0.isTrainable = false }
        defer { for (parameter, flag) in zip(parameters, trainable) { parameter.isTrainable = flag } }

        let tape = Tape(mode: .tracing)
        var unused = SplitMix64(seed: 0)  // evaluation draws no dropout masks
        // The input "needs" a gradient so that every activation records its backward step.
        let logits = try network.forward(Variable(image, requiresGradient: true), tape: tape, generator: &unused).logits
        let scores = logits.value.scalars
        let target = classIndex ?? scores.indices.max { scores[$0] < scores[$1] } ?? 0
        guard scores.indices.contains(target) else { throw TraceError.classOutOfRange(target, classes: scores.count) }
        guard let node = tape.tracedOutputs.last(where: { $0.value.rank == 4 && $0.value.shape[1] * $0.value.shape[2] > 1 })
        else { throw TraceError.noSpatialActivation }
        let gradient = try tape.gradient(of: logits, element: target, withRespectTo: node)
        return SpatialGradient(logits: scores, classIndex: target, activation: node.value, gradient: gradient)
    }
}
