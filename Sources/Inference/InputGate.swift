import Foundation
import ImageIO

/// The input gate: "is this a 12-lead ECG page?", asked before any model runs.
///
/// It turns the image upright (quarter turns and small skews, see ``PageOrientation``), measures
/// it (``PageMeasurements``) and compares each measurement with a threshold. The thresholds were
/// chosen on data with `ecg gate-report` (see docs/trust-gate.md): every real page of the data
/// set's test split passes, and the non-ECG bank (photographs, text documents, blank and noise
/// images, empty grids, charts) is refused.
public struct InputGate: Sendable {
    /// The smallest and largest accepted values of each measurement.
    public struct Thresholds: Sendable, Equatable {
        /// Long side over short side: a landscape page, not a strip or a square photo.
        public var aspect: ClosedRange<Double> = 1.15...1.9
        /// Grid-pink pixels: the ECG paper's grid is there.
        public var gridFraction: ClosedRange<Double> = 0.002...0.6
        /// Grid regularity along x and along y.
        public var periodicityX: Double = 0.2
        public var periodicityY: Double = 0.1
        /// Ink: a trace is drawn (not an empty grid), but not a dark photo or noise.
        public var inkFraction: ClosedRange<Double> = 0.004...0.12
        /// Bands of trace across the grid box: the rows of leads (4 on a 12-lead page, 1 on a chart).
        public var traceRows: Int = 3

        public init() {}
    }

    /// One check and how the image fared.
    public struct Check: Sendable, Codable, Equatable {
        /// A stable name: `aspect`, `grid`, `periodicity_x`, `periodicity_y`, `ink`, `trace_rows`.
        public let name: String
        public let value: Double
        public let passed: Bool
        /// Why it failed, in words (nil when it passed).
        public let reason: String?
    }

    /// The gate's answer for one image.
    public struct Verdict: Sendable, Codable, Equatable {
        /// True when every check passed.
        public let accepted: Bool
        /// 0...1: 1 when every check passed; otherwise how close the worst check came to its
        /// threshold (its value over the threshold, or the threshold over its value for upper bounds).
        public let score: Double
        public let checks: [Check]
        public let measurements: PageMeasurements
        public let orientation: PageOrientation
        /// The model's novelty check, when it has one and it ran (see ``adding(novelty:)``).
        public var novelty: NoveltyScore? = nil

        /// The failed checks' reasons, in check order.
        public var reasons: [String] { checks.compactMap(\.reason) }
    }

    /// An image after the gate: turned upright, with the verdict.
    public struct Examined: Sendable {
        /// The upright (turned and straightened) image: what the model should see.
        public let image: RGBImage
        public let verdict: Verdict
    }

    public var thresholds: Thresholds

    public init(thresholds: Thresholds = Thresholds()) {
        self.thresholds = thresholds
    }

    /// Turns `image` upright, then measures and judges it.
    ///
    /// - Complexity: a few passes over at most 1400 x 1400 working pixels (box-averaged from larger
    ///   images), plus one resampling of the image when it is skewed by ``PageOrientation/minimumSkew`` or more.
    public func examine(_ image: RGBImage) -> Examined {
        var raster = PageRaster(image)
        var upright = image
        var orientation = PageOrientation()
        // Straighten first: the margins that tell which side is up are measured on level lines.
        // (The skew is the same whichever way up the page lies.)
        let skew = PageOrientation.skewDegrees(raster)
        if abs(skew) >= PageOrientation.minimumSkew {
            upright = upright.warped(angle: -skew * .pi / 180, scale: 1, shiftX: 0, shiftY: 0, mirror: false)
            raster = PageRaster(upright)
            orientation.skewDegrees = skew
        }
        let turns = PageOrientation.quarterTurns(raster)
        if turns != 0 {
            upright = upright.rotatedClockwise(quarterTurns: turns)
            raster = PageRaster(upright)
            orientation.quarterTurns = turns
        }
        return Examined(image: upright, verdict: judge(PageMeasurements(raster), orientation: orientation))
    }

    /// ``examine(_:)``, throwing ``NotAnECGPage`` when `enforce` is set and the image is refused.
    public func examined(_ image: RGBImage, enforce: Bool) throws(NotAnECGPage) -> Examined {
        let examined = examine(image)
        if enforce && !examined.verdict.accepted { throw NotAnECGPage(verdict: examined.verdict) }
        return examined
    }

    /// The verdict on measurements of an upright page.
    public func judge(_ m: PageMeasurements, orientation: PageOrientation = PageOrientation()) -> Verdict {
        let t = thresholds
        var checks: [Check] = []
        var score = 1.0
        func range(_ name: String, _ value: Double, _ limits: ClosedRange<Double>, low: String, high: String) {
            if value < limits.lowerBound {
                score = min(score, value / limits.lowerBound)
                checks.append(Check(name: name, value: value, passed: false, reason: low))
            } else if value > limits.upperBound {
                score = min(score, limits.upperBound / value)
                checks.append(Check(name: name, value: value, passed: false, reason: high))
            } else {
                checks.append(Check(name: name, value: value, passed: true, reason: nil))
            }
        }
        let percent = { (value: Double) in String(format: "%.2f %%", value * 100) }
        range("aspect", m.landscape ? m.aspect : 1 / m.aspect, t.aspect,
              low: String(format: "the image is not shaped like a landscape ECG page (aspect %.2f, expected %.2f to %.2f)",
                          m.landscape ? m.aspect : 1 / m.aspect, t.aspect.lowerBound, t.aspect.upperBound),
              high: String(format: "the image is too elongated for an ECG page (aspect %.2f, at most %.2f)", m.aspect, t.aspect.upperBound))
        range("grid", m.gridFraction, t.gridFraction,
              low: "no pink ECG grid found (\(percent(m.gridFraction)) grid-coloured pixels, at least \(percent(t.gridFraction.lowerBound)))",
              high: "too much pink or red for grid paper (\(percent(m.gridFraction)), at most \(percent(t.gridFraction.upperBound)))")
        range("periodicity_x", m.periodicityX, t.periodicityX...Double.infinity,
              low: String(format: "no regular vertical grid lines (periodicity %.3f, at least %.2f)", m.periodicityX, t.periodicityX),
              high: "")
        range("periodicity_y", m.periodicityY, t.periodicityY...Double.infinity,
              low: String(format: "no regular horizontal grid lines (periodicity %.3f, at least %.2f)", m.periodicityY, t.periodicityY),
              high: "")
        range("ink", m.inkFraction, t.inkFraction,
              low: "no ECG trace drawn on the page (\(percent(m.inkFraction)) dark pixels, at least \(percent(t.inkFraction.lowerBound)))",
              high: "too much dark area for an ECG page (\(percent(m.inkFraction)) dark pixels, at most \(percent(t.inkFraction.upperBound)))")
        range("trace_rows", Double(m.traceRows), Double(t.traceRows)...Double.infinity,
              low: "the ink does not run in rows of leads across the grid (\(m.traceRows) rows, at least \(t.traceRows))",
              high: "")
        return Verdict(accepted: checks.allSatisfy(\.passed), score: max(0, score), checks: checks,
                       measurements: m, orientation: orientation)
    }
}

/// The gate refused an image: it does not look like a 12-lead ECG page, or (the novelty check,
/// ``InputGate/Verdict/adding(novelty:)``) not like the pages the model was trained on.
public struct NotAnECGPage: Error, Sendable, CustomStringConvertible {
    public let verdict: InputGate.Verdict

    public init(verdict: InputGate.Verdict) {
        self.verdict = verdict
    }

    /// One line: the score and every failed check.
    public var description: String {
        let what = verdict.code == "out_of_distribution" ? "the ECG pages this model was trained on" : "a 12-lead ECG page"
        return String(format: "this does not look like %@ (gate score %.2f): ", what, verdict.score)
            + verdict.reasons.joined(separator: "; ")
    }
}
