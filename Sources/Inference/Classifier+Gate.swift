import Foundation
import ImageIO

extension Classifier {
    /// Decodes an image (honouring its EXIF orientation), passes it through `gate` (which turns
    /// it upright), then classifies the upright page.
    ///
    /// - Parameters:
    ///   - imageData: A JPEG or PNG file.
    ///   - gate: The page check.
    ///   - enforce: Refuse images the gate does not accept; false classifies them anyway (`--no-gate`).
    /// - Returns: The prediction and the gate's verdict (which says whether the page was turned).
    /// - Throws: `ImageDecodingError` for input that is not a usable image; ``NotAnECGPage`` when
    ///   `enforce` is set and the gate refuses it.
    public func classify(
        imageData: some ContiguousBytes, gate: InputGate, enforce: Bool
    ) throws -> (prediction: Prediction, verdict: InputGate.Verdict) {
        let examined = try gate.examined(ImageDecoder.decode(imageData), enforce: enforce)
        return (try classify([examined.image])[0], examined.verdict)
    }
}
