import Foundation
import ImageIO

/// An explanation as the API's `explanation` object and `ecg explain --json` write it. It lives
/// here, beside ``PredictionAnswer`` which carries it; the Explain module fills it in.
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

    public init(
        className: String, classIndex: Int, probability: Float, layer: [Int],
        heatInGrid: Double?, gridBox: CropBox, gridBoxDetected: Bool, cropBox: CropBox?,
        regions: [HeatRegion], milliseconds: Double, overlayPNGBase64: String?
    ) {
        self.className = className
        self.classIndex = classIndex
        self.probability = probability
        self.layer = layer
        self.heatInGrid = heatInGrid
        self.gridBox = gridBox
        self.gridBoxDetected = gridBoxDetected
        self.cropBox = cropBox
        self.regions = regions
        self.milliseconds = milliseconds
        self.overlayPNGBase64 = overlayPNGBase64
    }

    enum CodingKeys: String, CodingKey {
        case className = "class", classIndex = "class_index", probability, layer, heatInGrid = "heat_in_grid"
        case gridBox = "grid_box", gridBoxDetected = "grid_box_detected", cropBox = "crop_box", regions, milliseconds
        case overlayPNGBase64 = "overlay_png_base64"
    }
}

/// A hot area of the page, in page fractions, with its share of the heat.
public struct HeatRegion: Sendable, Codable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var share: Double

    public init(x: Double, y: Double, width: Double, height: Double, share: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.share = share
    }

    enum CodingKeys: String, CodingKey { case x, y, width = "w", height = "h", share }
}
