import Foundation
import ImageIO

/// An explanation as the API's `explanation` object and `ecg explain --json` write it.
public struct ExplanationJSON: Sendable, Codable, Equatable {
    /// The class explained.
    public var className: String
    public var classIndex: Int
    /// Its softmax probability (uncalibrated).
    public var probability: Float
    /// The explained block's `[H, W, C]`: the heatmap's resolution over the image the model saw.
    public var layer: [Int]
    /// The share of the heat inside the trace grid's box; null when the map is empty.
    public var heatInGrid: Double?
    public var gridBox: CropBox
    /// False when no grid was found and the data set's usual box stood in.
    public var gridBoxDetected: Bool
    /// The part of the page the model saw; null for the whole page.
    public var cropBox: CropBox?
    /// The hottest areas in page fractions, largest share of the heat first.
    public var regions: [HeatRegion]
    public var milliseconds: Double
    /// The page with the heatmap over it, a PNG, base64 (the API only).
    public var overlayPNGBase64: String?

    public init(_ explanation: Explanation, overlayPNG: Data? = nil) {
        className = explanation.className
        classIndex = explanation.classIndex
        probability = explanation.probability
        layer = explanation.layerShape
        heatInGrid = explanation.heatInGrid
        gridBox = explanation.gridBox
        gridBoxDetected = explanation.gridBoxDetected
        cropBox = explanation.crop
        regions = explanation.regions
        milliseconds = (explanation.milliseconds * 10).rounded() / 10
        overlayPNGBase64 = overlayPNG?.base64EncodedString()
    }

    enum CodingKeys: String, CodingKey {
        case className = "class", classIndex = "class_index", probability, layer, heatInGrid = "heat_in_grid"
        case gridBox = "grid_box", gridBoxDetected = "grid_box_detected", cropBox = "crop_box", regions, milliseconds
        case overlayPNGBase64 = "overlay_png_base64"
    }
}
