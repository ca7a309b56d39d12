import Foundation
import Kernels
import Tensors

extension Tape {
    /// Softmax cross-entropy of `logits` (`N x K`) against integer `labels`, class-weighted:
    /// `Σ w_y · ce / Σ w_y` (PyTorch's `CrossEntropyLoss(weight=)` with mean reduction).
    ///
    /// In training mode it adds `scale` times the loss's gradient,
    /// `scale · w_y · (softmax − onehot) / Σ w_y`, into the logits' gradient: this seeds the
    /// backward pass (call `backward()` after every loss is added).
    /// - Parameters:
    ///   - classWeights: one weight per class, or nil for all 1.
    ///   - scale: the loss's weight in the total (InceptionV3's auxiliary loss counts 0.4).
    /// - Returns: the unscaled loss.
    /// - Throws: `TensorError` for a label outside `0..<K`, or mismatched counts.
    public func crossEntropy(_ logits: Variable, labels: [Int], classWeights: [Float]? = nil, scale: Float = 1) throws -> Float {
        guard logits.value.rank == 2, logits.value.shape[0] == labels.count else {
            throw TensorError.shapeMismatch(expected: [labels.count, logits.value.shape.last ?? 0], got: logits.value.shape)
        }
        let classes = logits.value.shape[1]
        guard labels.allSatisfy({ (0..<classes).contains($0) }) else {
            throw TensorError.invalidArgument("labels must lie in 0..<\(classes), got \(labels)")
        }
        if let classWeights, classWeights.count != classes {
            throw TensorError.shapeMismatch(expected: [classes], got: [classWeights.count])
        }
        let weights = labels.map { classWeights?[$0] ?? 1 }
        let total = weights.reduce(0, +)
        guard total > 0 else { throw TensorError.invalidArgument("the batch's class weights sum to zero") }
        let probabilities = logits.value.softmax()
        let p = probabilities.storage.pointer
        var loss: Double = 0
        for (row, label) in labels.enumerated() {
            loss -= Double(weights[row]) * Double(max(p[row * classes + label], .leastNormalMagnitude).logarithm)
        }
        if isTraining && logits.requiresGradient {
            let dx = logits.gradientPointer()
            for (row, label) in labels.enumerated() {
                let factor = scale * weights[row] / total
                for j in 0..<classes {
                    dx[row * classes + j] += factor * (p[row * classes + j] - (j == label ? 1 : 0))
                }
            }
        }
        return Float(loss / Double(total))
    }
}

extension Float {
    /// The natural logarithm.
    var logarithm: Float { Float(log(Double(self))) }
}
