import Foundation
import ImageIO

extension Classifier {
    /// Decodes an image (honouring its EXIF orientation, per the input contract), passes it through `gate` (which turns
    /// it upright), then classifies the upright page and runs the model's novelty check on it.
    ///
    /// - Parameters:
    ///   - imageData: A JPEG or PNG file.
    ///   - gate: The page check.
    ///   - enforce: Refuse images the gate does not accept; false classifies them anyway (`--no-gate`).
    /// - Returns: The prediction and the verdict (which says whether the page was turned, and
    ///   holds the novelty check when the model has one).
    /// - Throws: `ImageDecodingError` for input that is not a usable image; ``NotAnECGPage`` when
    ///   `enforce` is set and the page check or the novelty check refuses it.
    public func classify(
        imageData: some ContiguousBytes, gate: InputGate, enforce: Bool
    ) throws -> (prediction: Prediction, verdict: InputGate.Verdict) {
        let examined = try gate.examined(decode(imageData), enforce: enforce)
        return try classify(examined, enforce: enforce)
    }
}
