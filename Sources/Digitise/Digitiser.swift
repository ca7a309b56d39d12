import Foundation
import ImageIO
import ReportFormat

/// Turns a photographed or exported 3x4+1 ECG report page into signals: finds the grid and its
/// scale, the four trace rows and their calibration pulses, then follows each lead's trace.
public enum Digitiser {
    /// The sampling rate of the signals returned (as PhysioNet's 12-lead records).
    public static let sampleRate = 500.0
    /// A lead whose trace was found in fewer of its columns than this is flagged unreadable.
    public static let minimumCoverage = 0.8
    /// Fewer readable panels than this (of thirteen) and the page is refused.
    public static let minimumReadablePanels = 9

    /// Digitises `image`.
    ///
    /// - Parameter checkQuality: Refuse a page whose traces fail the plausibility checks of
    ///   `TraceQuality` (the default); false returns them anyway, with their `quality`, for studying
    ///   the checks themselves.
    /// - Throws: `DigitiseError` when the image is too small, has no grid, is another layout, too
    ///   few leads could be followed, or (`checkQuality`) the traces read are implausible.
    public static func digitise(_ image: RGBImage, checkQuality: Bool = true) throws(DigitiseError) -> DigitisedECG {
        guard image.width >= 500, image.height >= 350 else { throw .imageTooSmall(width: image.width, height: image.height) }
        let map = InkMap(image)
        var layout = try ReportLayout.read(map)
        let thickness = TraceFollower.thickness(in: map, panels: layout.panels)
        let follower = TraceFollower(map: map, thickness: thickness)
        var traced: [DigitisedLead] = []
        for panel in layout.panels {
            let (points, coverage) = follower.follow(panel)
            let samples = TraceFollower.resample(points, panel: panel, pixelsPerSecond: layout.pixelsPerSecond, rate: sampleRate)
            traced.append(DigitisedLead(name: panel.lead, startSeconds: panel.startSeconds, samples: samples, coverage: coverage))
        }
        let readable = traced.filter(\.readable).count
        guard readable >= minimumReadablePanels else {
            throw .traceNotFound("only \(readable) of 13 panels had a trace that could be followed")
        }
        var rhythm = traced.removeLast()
        let (name, match) = matchRhythm(rhythm, to: traced)
        rhythm.name = name
        layout.panels[layout.panels.count - 1].lead = name
        let ordered = ReportGeometry.leads.map { lead in traced.first { $0.name == lead }! }
        let quality = TraceQuality.measure(panels: ordered, rhythm: rhythm, rhythmMatch: match, rate: sampleRate)
        if checkQuality, let problem = quality.problem { throw .implausibleTrace(problem) }
        return DigitisedECG(sampleRate: sampleRate, leads: ordered, rhythm: rhythm, rhythmMatch: match, layout: layout,
                            lineThickness: thickness, quality: quality)
    }

    /// The lead whose panel the rhythm strip matches best over the panel's 2.5 s, and the correlation.
    static func matchRhythm(_ rhythm: DigitisedLead, to panels: [DigitisedLead]) -> (String, Double) {
        var best = ("II", -1.0)
        for panel in panels where panel.readable {
            let start = Int((panel.startSeconds * sampleRate).rounded())
            guard start + panel.samples.count <= rhythm.samples.count else { continue }
            let r = SignalMath.correlation(Array(rhythm.samples[start..<(start + panel.samples.count)]), panel.samples)
            if r > best.1 { best = (panel.name, r) }
        }
        return best
    }
}

/// Small statistics on signals shared by the digitiser, the measurements and their tests.
public enum SignalMath {
    /// Pearson's correlation of two equally long signals (0 when either is constant).
    public static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let n = min(a.count, b.count)
        guard n > 1 else { return 0 }
        var ma = 0.0, mb = 0.0
        for i in 0..<n { ma += Double(a[i]); mb += Double(b[i]) }
        ma /= Double(n); mb /= Double(n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<n {
            let da = Double(a[i]) - ma, db = Double(b[i]) - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }

    /// The signal-to-noise ratio of `estimate` against `truth` in decibels, as the PhysioNet 2024
    /// challenge scored digitisation: 10 log10(signal power / error power).
    public static func snr(truth: [Float], estimate: [Float]) -> Double {
        let n = min(truth.count, estimate.count)
        var signal = 0.0, error = 0.0
        for i in 0..<n {
            signal += Double(truth[i]) * Double(truth[i])
            let e = Double(estimate[i]) - Double(truth[i])
            error += e * e
        }
        guard error > 0 else { return .infinity }
        return 10 * log10(signal / error)
    }
}
