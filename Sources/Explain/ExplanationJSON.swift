import Foundation
import Inference

/// The API's and `ecg explain --json`'s form of an explanation (the type lives in Inference, with
/// the prediction answer that carries it).
extension ExplanationJSON {
    public init(_ explanation: Explanation, overlayPNG: Data? = nil) {
        self.init(
            className: explanation.className, classIndex: explanation.classIndex, probability: explanation.probability,
            layer: explanation.layerShape, heatInGrid: explanation.heatInGrid, gridBox: explanation.gridBox,
            gridBoxDetected: explanation.gridBoxDetected, cropBox: explanation.crop, regions: explanation.regions,
            milliseconds: (explanation.milliseconds * 10).rounded() / 10, overlayPNGBase64: overlayPNG?.base64EncodedString())
    }
}
