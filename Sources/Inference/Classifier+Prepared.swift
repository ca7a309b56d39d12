import Dispatch
import ImageIO
import Tensors

/// Classifying in two steps, so that a batch job can crop, resize and preprocess pages on other
/// threads while the network runs: ``prepare(_:)`` on any thread, ``classify(prepared:)`` on one.
extension Classifier {
    /// One page made ready for the network: its input floats (height x width x channel) and, for a
    /// fused model, its trace measurements.
    public struct PreparedPage: Sendable {
        /// The network's input: crop, resize and preprocessing, `valuesPerImage` floats.
        public let values: [Float]
        /// The page's ``TraceFeatures`` row (nil for an image-only model).
        public let trace: TraceRow?
    }

    /// The network's input for one decoded page, and its trace measurements when the model fuses them.
    public func prepare(_ image: RGBImage) -> PreparedPage {
        PreparedPage(values: input.values(image), trace: fusion.map { _ in TraceRow(image) })
    }

    /// Classifies pages prepared by ``prepare(_:)`` in one forward pass, one prediction per page,
    /// calibrated as ``classify(_:)``'s are.
    /// The timings carry the forward pass only (per page); preparing was timed by the caller.
    public func classify(prepared pages: [PreparedPage]) throws -> [Prediction] {
        try classifyChecked(prepared: pages).map(\.prediction)
    }

    /// ``classify(prepared:)`` with each page's novelty score.
    public func classifyChecked(prepared pages: [PreparedPage]) throws -> [Checked] {
        guard !pages.isEmpty else { return [] }
        let values = input.valuesPerImage
        precondition(pages.allSatisfy { $0.values.count == values }, "a prepared input has the wrong size")
        let batch = Tensor(shape: [pages.count, inputSize, inputSize, 3]) { pointer in
            for (index, page) in pages.enumerated() {
                page.values.withUnsafeBufferPointer { (pointer + index * values).update(from: $0.baseAddress!, count: values) }
            }
        }
        return try checked(batch, count: pages.count, preprocessMilliseconds: 0, traces: pages.map(\.trace))
    }
}

/// One page's trace measurements for a fused model: the ``TraceFeatures`` row, or why the
/// digitiser refused the page (then the model answers from the image alone).
public struct TraceRow: Sendable, Equatable {
    public let values: [Float]
    /// Nil when the page was read.
    public let refusal: String?

    /// Digitises and measures `image`.
    public init(_ image: RGBImage) {
        (values, refusal) = TraceFeatures.row(image)
    }

    public init(values: [Float], refusal: String?) { (self.values, self.refusal) = (values, refusal) }

    /// The rows of `images`, measured in parallel (each page takes tenths of a second of CPU).
    static func rows(_ images: [RGBImage]) -> [TraceRow] { concurrentMap(images, TraceRow.init) }
}
