import Foundation
import ImageIO

/// Which way up a page lies, and how to turn it upright.
///
/// A 12-lead report is printed landscape with the grid box low on the page: the header text band
/// (patient data, "ECG REPORT") takes the top fifth, while only one line of settings sits under the
/// rhythm strip. So the side of the grid box with by far the widest margin is the top. Grid lines
/// are axis-aligned on an upright page, so a small skew is the angle at which the grid's pink
/// pixels project onto the sharpest lines.
public struct PageOrientation: Sendable, Equatable, Codable {
    /// Clockwise quarter turns that bring the page upright (0 to 3: 0, 90, 180 or 270 degrees).
    public var quarterTurns: Int
    /// The page's small rotation, in degrees counter-clockwise on screen, that was straightened
    /// (0 when it was below ``PageOrientation/minimumSkew``).
    public var skewDegrees: Double

    enum CodingKeys: String, CodingKey {
        case quarterTurns = "quarter_turns", skewDegrees = "skew_degrees"
    }

    public init(quarterTurns: Int = 0, skewDegrees: Double = 0) {
        self.quarterTurns = quarterTurns
        self.skewDegrees = skewDegrees
    }

    /// The largest skew looked for, in degrees either way.
    public static let maximumSkew = 10.0
    /// Skews below this are left alone (a scan's own tilt; resampling would only blur the page).
    public static let minimumSkew = 0.5
    /// How much wider the header margin must be than the opposite one to call that side the top.
    static let headerMarginRatio = 1.5

    /// Whether the page was turned or straightened at all.
    public var changed: Bool { quarterTurns != 0 || skewDegrees != 0 }

    /// A short description for people: "turned 90° clockwise and straightened by 3.5°".
    public var summary: String {
        var parts: [String] = []
        if quarterTurns != 0 { parts.append("turned \(quarterTurns * 90)° clockwise") }
        if skewDegrees != 0 { parts.append(String(format: "straightened by %.1f°", skewDegrees)) }
        return parts.isEmpty ? "upright as sent" : parts.joined(separator: " and ")
    }

    // MARK: - Detection

    /// The clockwise quarter turns that make the page in `raster` upright, from the margins around
    /// its pink grid box; 0 when there is no grid box or the margins do not tell.
    static func quarterTurns(_ raster: PageRaster) -> Int {
        guard let box = raster.gridBox() else { return 0 }
        let top = box.top, bottom = raster.height - 1 - box.bottom
        let left = box.left, right = raster.width - 1 - box.right
        let wide = { (a: Int, b: Int) in Double(a) > headerMarginRatio * Double(max(b, 1)) }
        if raster.height > raster.width {
            // Portrait: the page lies on its side; the header is on the left or on the right.
            if wide(left, right) { return 1 }   // top on the left: turn clockwise
            if wide(right, left) { return 3 }   // top on the right: turn counter-clockwise
            return 0
        }
        return wide(bottom, top) ? 2 : 0
    }

    /// The page's small rotation in degrees (counter-clockwise on screen), within
    /// ±``maximumSkew``: the angle at which the grid pixels' projections across and along the
    /// page are sharpest (largest sum of squared histogram counts), searched in 0.5° steps, then
    /// refined in 0.1° steps. 0 without enough grid pixels.
    static func skewDegrees(_ raster: PageRaster) -> Double {
        var points: [(x: Float, y: Float)] = []
        for y in 0..<raster.height {
            for x in 0..<raster.width where raster.isGrid(y * raster.width + x) {
                points.append((Float(x), Float(y)))
            }
        }
        guard points.count >= 200 else { return 0 }
        // At most 60,000 points: evenly thinned, enough for sharp histograms.
        let stride = max(1, points.count / 60_000)
        if stride > 1 { points = Swift.stride(from: 0, to: points.count, by: stride).map { points[$0] } }
        let side = Float(raster.width + raster.height)
        var bins = [Float](repeating: 0, count: 2 * Int(side) + 4)

        /// Sharpness of the projections at `degrees`: rows of v = y cos + x sin and columns of
        /// u = x cos - y sin, which are constant along the grid lines of a page turned by `degrees`.
        func sharpness(_ degrees: Double) -> Float {
            let angle = degrees * .pi / 180
            let (c, s) = (Float(cos(angle)), Float(sin(angle)))
            var total: Float = 0
            for family in 0..<2 {
                for index in bins.indices { bins[index] = 0 }
                for point in points {
                    let value = family == 0 ? point.y * c + point.x * s : point.x * c - point.y * s
                    bins[Int((value + side).rounded())] += 1
                }
                total += bins.reduce(0) { $0 + $1 * $1 }
            }
            return total
        }

        var best = (degrees: 0.0, score: sharpness(0))
        for step in -20...20 where step != 0 {
            let degrees = Double(step) * maximumSkew / 20
            let score = sharpness(degrees)
            if score > best.score { best = (degrees, score) }
        }
        let coarse = best.degrees
        for step in -4...4 where step != 0 {
            let degrees = coarse + Double(step) / 10
            guard abs(degrees) <= maximumSkew else { continue }
            let score = sharpness(degrees)
            if score > best.score { best = (degrees, score) }
        }
        return (best.degrees * 10).rounded() / 10
    }
}
