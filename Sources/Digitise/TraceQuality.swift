import ReportFormat

/// Plausibility checks on a digitised page, so that a page whose trace was not really found
/// (a rotated or warped photo whose grid still passed, a trace lost in the grid) is refused
/// instead of returning noise.
///
/// Each figure compares the page with itself, so no ground truth is needed:
/// - the rhythm strip shows the same seconds as one of the 2.5-s panels: on a page read right,
///   the two traces agree (`rhythmMatch`, Pearson r);
/// - a trace's baseline stays level across the page: on a tilted or warped page the 0-mV line
///   found at the row's calibration pulse drifts away from the trace (`baselineDrift`, the
///   largest change of a row's baseline in mV over its 10 s, from per-second medians);
/// - the traces are found in most columns (`meanCoverage`).
public struct TraceQuality: Codable, Equatable, Sendable {
    /// Pearson r of the rhythm strip against its matched panel over that panel's 2.5 s.
    public let rhythmMatch: Double
    /// The largest baseline drift of a trace row over its 10 s, in mV (absolute).
    public let baselineDrift: Double
    /// The mean fraction of columns where the traces were found, over the thirteen panels.
    public let meanCoverage: Double

    /// Below this rhythm-strip agreement the page is refused. On 100 clean generated pages
    /// (seed 2024) the lowest was 0.91; the rotated or warped pages that got past the grid and
    /// layout checks, all misread (median r against the truth 0.18-0.66), had 0.65-0.78 but one.
    public static let minimumRhythmMatch = 0.85
    /// Above this baseline drift (mV over 10 s) the page is refused. Clean pages drift at most
    /// 0.18 mV; the misread warped page whose rhythm strip still matched (0.998) drifted 0.65.
    public static let maximumBaselineDrift = 0.6

    /// The reason to refuse the page, or nil when it passes.
    public var problem: String? {
        if rhythmMatch < Self.minimumRhythmMatch {
            return "the rhythm strip does not match any lead's panel (r = \(rounded(rhythmMatch)), at least \(Self.minimumRhythmMatch) expected); the page may be rotated, warped or too faint"
        }
        if baselineDrift > Self.maximumBaselineDrift {
            return "the traces drift \(rounded(baselineDrift)) mV from their baseline across the page (at most \(Self.maximumBaselineDrift) expected); the page may be rotated or warped"
        }
        return nil
    }

    private func rounded(_ value: Double) -> String { String(Double(Int((value * 100).rounded())) / 100) }

    /// Measures the quality of twelve panels (in `ReportGeometry.panelLeads` row order or any order)
    /// and the rhythm strip.
    static func measure(panels: [DigitisedLead], rhythm: DigitisedLead, rhythmMatch: Double, rate: Double) -> TraceQuality {
        // The 10 s of each row: the rhythm strip, and each of the three panel rows end to end.
        var rows: [[(time: Double, samples: ArraySlice<Float>)]] = [[(0, rhythm.samples[...])]]
        for leads in ReportGeometry.panelLeads {
            rows.append(leads.compactMap { name in panels.first { $0.name == name }.map { ($0.startSeconds, $0.samples[...]) } })
        }
        let drift = rows.map { baselineDrift($0, rate: rate) }.max() ?? 0
        let coverage = (panels + [rhythm]).reduce(0) { $0 + $1.coverage } / Double(panels.count + 1)
        return TraceQuality(rhythmMatch: rhythmMatch, baselineDrift: drift, meanCoverage: coverage)
    }

    /// The change of a row's baseline over its 10 s: the slope of a line through the medians of
    /// each second (an ECG spends most of each beat on its baseline) times the seconds spanned.
    static func baselineDrift(_ pieces: [(time: Double, samples: ArraySlice<Float>)], rate: Double) -> Double {
        var points: [(Double, Double)] = []
        let window = Int(rate)
        for piece in pieces {
            var start = piece.samples.startIndex
            while start + window <= piece.samples.endIndex {
                let second = piece.samples[start..<(start + window)].sorted()
                let t = piece.time + (Double(start - piece.samples.startIndex) + Double(window) / 2) / rate
                points.append((t, Double(second[second.count / 2])))
                start += window / 2
            }
        }
        guard points.count >= 3 else { return 0 }
        let n = Double(points.count)
        let mt = points.reduce(0) { $0 + $1.0 } / n, mv = points.reduce(0) { $0 + $1.1 } / n
        let stv = points.reduce(0) { $0 + ($1.0 - mt) * ($1.1 - mv) }, stt = points.reduce(0) { $0 + ($1.0 - mt) * ($1.0 - mt) }
        guard stt > 0, let first = points.first?.0, let last = points.last?.0 else { return 0 }
        return abs(stv / stt * (last - first))
    }
}
