import Dispatch
import ImageIO
import Tensors

/// Classifying in two steps, so that a batch job can crop, resize and preprocess pages on other
/// threads while the network runs: ``prepare(_:)`` on any thread, ``classify(prepared:)`` on one.
extension Classifier {
    /// The network's input for one decoded page: crop, resize and preprocessing, `valuesPerImage`
    /// floats (height x width x channel).
    public func prepare(_ image: RGBImage) -> [Float] { input.values(image) }

    /// Classifies pages prepared by ``prepare(_:)`` in one forward pass, one prediction per page,
    /// calibrated as ``classify(_:)``'s are.
    /// The timings carry the forward pass only (per page); preparing was timed by the caller.
    public func classify(prepared inputs: [[Float]]) throws -> [Prediction] {
        try classifyChecked(prepared: inputs).map(\.prediction)
    }

    /// ``classify(prepared:)`` with each page's novelty score.
    public func classifyChecked(prepared inputs: [[Float]]) throws -> [Checked] {
        guard !inputs.isEmpty else { return [] }
        let values = input.valuesPerImage
        precondition(inputs.allSatisfy { $0.count == values }, "a prepared input has the wrong size")
        let batch = Tensor(shape: [inputs.count, inputSize, inputSize, 3]) { pointer in
            for (index, page) in inputs.enumerated() {
                page.withUnsafeBufferPointer { (pointer + index * values).update(from: $0.baseAddress!, count: values) }
            }
        }
        return try checked(batch, count: inputs.count, preprocessMilliseconds: 0)
    }
}
