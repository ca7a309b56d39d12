import ImageIO
import Inference

/// What the server needs from a loaded model: its description and batch classification.
///
/// `Classifier` is the real one; tests can pass a slow or failing stand-in to exercise the
/// queue without a network.
public protocol BatchClassifying: Sendable {
    var key: String { get }
    var displayName: String { get }
    /// False for randomly initialised weights, whose predictions are labelled UNTRAINED.
    var trained: Bool { get }
    /// Calibrated top probabilities below this are uncertain answers; nil when not calibrated.
    var uncertainBelow: Double? { get }
    /// Decodes an upload as the model's input contract says (a reduced JPEG decode where it allows one).
    func decode(_ data: [UInt8], limits: ImageDecoder.Limits) throws -> RGBImage
    /// Classifies decoded images, one prediction per image, in order.
    func classify(_ images: [RGBImage]) throws -> [Prediction]
    /// ``classify(_:)`` with each image's novelty score, when the model has a novelty check.
    func classifyChecked(_ images: [RGBImage]) throws -> [Classifier.Checked]
}

extension BatchClassifying {
    public var uncertainBelow: Double? { nil }

    /// A full-size decode.
    public func decode(_ data: [UInt8], limits: ImageDecoder.Limits) throws -> RGBImage {
        try ImageDecoder.decode(data, limits: limits)
    }

    /// No novelty check: the predictions alone.
    public func classifyChecked(_ images: [RGBImage]) throws -> [Classifier.Checked] {
        try classify(images).map { Classifier.Checked(prediction: $0, novelty: nil) }
    }
}

extension Classifier: BatchClassifying {
    /// The input contract's decode (``Classifier/decode(_:limits:)``): reduced where its
    /// `decode_ratio` allows. Stated here because the generic one does not witness the requirement.
    public func decode(_ data: [UInt8], limits: ImageDecoder.Limits) throws -> RGBImage {
        try input.decode(data, limits: limits)
    }
}
