import Foundation
import ImageIO
import Inference

/// One Grad-CAM explanation of a model's answer for a page: where on the page the evidence
/// for the class lay, as far as the last convolutional block can say.
public struct Explanation: Sendable {
    public let model: String
    public let classIndex: Int
    public let className: String
    /// The class's softmax probability (uncalibrated: temperature does not move the map).
    public let probability: Float
    /// The map over the block's grid (the image the model saw).
    public let heatmap: Heatmap
    /// The explained block's `H x W x C`.
    public let layerShape: [Int]
    /// The part of the page the model saw; nil for the whole page.
    public let crop: CropBox?
    /// The trace grid's box: detected on the page, or the data set's usual box when none was found.
    public let gridBox: CropBox
    public let gridBoxDetected: Bool
    /// The hottest areas, largest share of the heat first.
    public let regions: [HeatRegion]
    /// The share of the page's heat inside the trace grid's box (the rest lies on the printed
    /// header, the margins or the footer); nil when the map is empty (no evidence for the class).
    public let heatInGrid: Double?
    /// Wall-clock time of the explanation.
    public let milliseconds: Double

    /// The page with the heatmap drawn over it (see ``Overlay``), at most `maxSide` pixels a side.
    public func overlay(on page: RGBImage, maxSide: Int = 1024) -> RGBImage {
        Overlay.draw(heatmap, crop: crop, on: page, maxSide: maxSide)
    }

    /// The overlay as a PNG file.
    /// - Throws: `ImageEncodingError` when the encoder fails.
    public func overlayPNG(on page: RGBImage, maxSide: Int = 1024) throws -> Data {
        try ImageEncoder.png(overlay(on: page, maxSide: maxSide))
    }

    static func softmax(_ logits: [Float]) -> [Float] {
        let top = logits.max() ?? 0
        let exps = logits.map { Foundation.exp(Double($0 - top)) }
        let sum = exps.reduce(0, +)
        return exps.map { Float($0 / sum) }
    }
}
