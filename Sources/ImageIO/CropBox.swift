import Foundation

/// A rectangle given in fractions of an image's width and height, so one box fits a page at any
/// resolution: the crop-to-trace option that keeps a report's printed header and footer text
/// (patient ID, heart rate, dates) away from a model, which could otherwise learn them instead
/// of the waveform.
public struct CropBox: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The left edge, a fraction of the width in 0..<1.
    public var left: Double
    /// The top edge, a fraction of the height in 0..<1.
    public var top: Double
    /// The right edge, a fraction of the width in (left, 1].
    public var right: Double
    /// The bottom edge, a fraction of the height in (top, 1].
    public var bottom: Double

    /// The trace grid of the EDAN SE-3 reports in the shared data set: about x 3-98 %, y 18-96 %.
    public static let ecgTrace = CropBox(left: 0.03, top: 0.18, right: 0.98, bottom: 0.96)!

    /// Creates a box; returns nil unless `0 <= left < right <= 1` and `0 <= top < bottom <= 1`.
    public init?(left: Double, top: Double, right: Double, bottom: Double) {
        guard 0 <= left, left < right, right <= 1, 0 <= top, top < bottom, bottom <= 1 else { return nil }
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    /// Parses `left,top,right,bottom` (fractions, as `description` writes them).
    public init?(_ text: String) {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let left = parts[0], let top = parts[1], let right = parts[2], let bottom = parts[3] else {
            return nil
        }
        self.init(left: left, top: top, right: right, bottom: bottom)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let values = try CodingKeys.allCases.map { try container.decode(Double.self, forKey: $0) }
        guard let box = CropBox(left: values[0], top: values[1], right: values[2], bottom: values[3]) else {
            throw DecodingError.dataCorruptedError(forKey: .left, in: container,
                                                   debugDescription: "a crop box needs 0 <= left < right <= 1 and 0 <= top < bottom <= 1")
        }
        self = box
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case left, top, right, bottom }

    /// `left,top,right,bottom`.
    public var description: String { "\(left),\(top),\(right),\(bottom)" }

    /// The pixel rectangle this box covers in a `width` x `height` image; never empty.
    public func pixelRectangle(width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let x0 = min(Int((left * Double(width)).rounded()), width - 1)
        let y0 = min(Int((top * Double(height)).rounded()), height - 1)
        let x1 = max(min(Int((right * Double(width)).rounded()), width), x0 + 1)
        let y1 = max(min(Int((bottom * Double(height)).rounded()), height), y0 + 1)
        return (x0, y0, x1 - x0, y1 - y0)
    }
}

extension RGBImage {
    /// The part of the image inside `box`.
    public func cropped(to box: CropBox) -> RGBImage {
        let rectangle = box.pixelRectangle(width: width, height: height)
        return cropped(x: rectangle.x, y: rectangle.y, width: rectangle.width, height: rectangle.height)
    }
}
