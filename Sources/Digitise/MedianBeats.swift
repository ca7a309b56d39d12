import Foundation
import ReportFormat

/// Each lead's median beat (the sample-wise median of its normal beats, aligned on the R peaks
/// found in the rhythm strip) and the fiducial points found on all of them together.
struct MedianBeats {
    /// Seconds kept before and after each R peak.
    static let before = 0.35, after = 0.6

    let rate: Double
    /// The R peak's index in every median beat.
    let centre: Int
    /// Median beats by lead name, in `ReportGeometry.leads` order; leads with no whole beat are missing.
    let beats: [(lead: String, samples: [Double])]
    /// QRS onset and offset (indices), and each lead's PR-segment level.
    let onset, offset: Int?
    let levels: [Double]

    let prInterval, qrsDuration, qtInterval, qrsAxis: Double?
    let leadMeasurements: [LeadMeasurements]

    init(_ leads: [DigitisedLead], rate: Double, beats rPeaks: [Double], medianRR: Double?) {
        self.rate = rate
        let pre = Int(Self.before * rate), post = Int(Self.after * rate)
        centre = pre
        var beats: [(lead: String, samples: [Double])] = []
        for lead in leads where lead.readable {
            let windows: [ArraySlice<Float>] = rPeaks.compactMap { t in
                let c = Int(((t - lead.startSeconds) * rate).rounded())
                guard c - pre >= 0, c + post < lead.samples.count else { return nil }
                return lead.samples[(c - pre)...(c + post)]
            }
            guard !windows.isEmpty else { continue }
            let median = (0...(pre + post)).map { i -> Double in
                let values = windows.map { Double($0[$0.startIndex + i]) }.sorted()
                return values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
            }
            beats.append((lead.name, median))
        }
        self.beats = beats
        guard beats.count >= 6 else {
            (onset, offset, levels, prInterval, qrsDuration, qtInterval, qrsAxis) = (nil, nil, [], nil, nil, nil, nil)
            leadMeasurements = []
            return
        }
        let (onset, offset) = Self.qrsBounds(beats.map(\.samples), centre: centre, rate: rate)
        self.onset = onset
        self.offset = offset
        // Each lead's isoelectric level: the PR segment, 30 to 10 ms before the QRS.
        let levels = beats.map { beat in
            let a = max(0, onset - Int(0.03 * rate)), b = max(a + 1, onset - Int(0.01 * rate))
            return beat.samples[a..<b].reduce(0, +) / Double(b - a)
        }
        self.levels = levels
        let deviations = zip(beats, levels).map { beat, level in beat.samples.map { $0 - level } }
        qrsDuration = Double(offset - onset) / rate
        prInterval = Self.pOnset(deviations, qrsOnset: onset, rate: rate).map { Double(onset - $0) / rate }
        let tEnd = Self.tEnd(deviations, qrsOffset: offset, medianRR: medianRR, rate: rate)
        qtInterval = tEnd.map { Double($0 - onset) / rate }

        // Axis from the net QRS areas of I and aVF (Einthoven: aVF sees √3/2 of the vertical component).
        let names = beats.map(\.lead)
        if let i = names.firstIndex(of: "I"), let f = names.firstIndex(of: "aVF") {
            let areaI = deviations[i][onset...offset].reduce(0, +), areaF = deviations[f][onset...offset].reduce(0, +)
            qrsAxis = atan2(areaF * 2 / 3.0.squareRoot(), areaI) * 180 / .pi
        } else {
            qrsAxis = nil
        }

        let tWindow = (offset + Int(0.08 * rate))...min(pre + post, tEnd ?? (offset + Int(0.36 * rate)))
        leadMeasurements = zip(names, deviations).map { name, d in
            let j60 = min(offset + Int(0.06 * rate), d.count - 1)
            let qrs = Array(d[onset...offset])
            let (qDepth, qWidth) = Self.qWave(qrs, rate: rate)
            let t = tWindow.isEmpty ? 0 : (tWindow.max { abs(d[$0]) < abs(d[$1]) }.map { d[$0] } ?? 0)
            return LeadMeasurements(
                lead: name, stDeviation: d[j60], qDepth: qDepth, qWidth: qWidth,
                rAmplitude: max(0, qrs.max() ?? 0), sAmplitude: max(0, -(qrs.min() ?? 0)),
                tAmplitude: t)
        }
    }

    /// QRS onset and offset: where the summed absolute slope of all leads, smoothed over 10 ms,
    /// first falls below 12 % of its peak before and after the R peak.
    static func qrsBounds(_ beats: [[Double]], centre: Int, rate: Double) -> (Int, Int) {
        let n = beats[0].count
        var slope = [Double](repeating: 0, count: n)
        for beat in beats {
            for i in 1..<(n - 1) { slope[i] += abs(beat[i + 1] - beat[i - 1]) / 2 }
        }
        let smooth = boxSmoothed(slope, radius: Int(0.005 * rate))
        let search = Int(0.06 * rate)
        let peak = (max(1, centre - search)...min(n - 2, centre + search)).max { smooth[$0] < smooth[$1] } ?? centre
        let threshold = 0.12 * smooth[peak]
        var onset = peak, offset = peak
        while onset > max(1, centre - Int(0.15 * rate)), smooth[onset] > threshold { onset -= 1 }
        while offset < min(n - 2, centre + Int(0.2 * rate)), smooth[offset] > threshold { offset += 1 }
        return (onset, offset)
    }

    /// P-wave onset: the P wave is the largest rms deflection 40–300 ms before the QRS; its onset
    /// is where the rms falls below 20 % of that peak going back. Nil when there is no P wave
    /// (under 0.03 mV rms: atrial fibrillation, ventricular beats).
    static func pOnset(_ deviations: [[Double]], qrsOnset: Int, rate: Double) -> Int? {
        let start = max(0, qrsOnset - Int(0.3 * rate)), end = qrsOnset - Int(0.04 * rate)
        guard start < end else { return nil }
        let rms = Self.rms(deviations)
        guard let peak = (start...end).max(by: { rms[$0] < rms[$1] }), rms[peak] > 0.03 else { return nil }
        var onset = peak
        // A P wave lasts at most about 120 ms: its onset is no more than 80 ms before its peak.
        while onset > max(0, peak - Int(0.08 * rate)), rms[onset] > 0.2 * rms[peak] { onset -= 1 }
        return onset
    }

    /// T-wave end: after the T wave's rms peak (80 ms after the QRS up to 60 % of the RR
    /// interval), where the rms first falls below 10 % of the peak above its level at the window's end.
    static func tEnd(_ deviations: [[Double]], qrsOffset: Int, medianRR: Double?, rate: Double) -> Int? {
        let rms = Self.rms(deviations)
        let start = qrsOffset + Int(0.08 * rate)
        let end = min(rms.count - 1, qrsOffset + Int(min(0.6 * (medianRR ?? 1), 0.55) * rate))
        guard start < end, let peak = (start...end).max(by: { rms[$0] < rms[$1] }) else { return nil }
        let floor = rms[end]
        guard rms[peak] - floor > 0.04 else { return nil }
        var t = peak
        while t < end, rms[t] - floor > 0.1 * (rms[peak] - floor) { t += 1 }
        return t
    }

    /// The root mean square over leads of the deviations, sample by sample.
    static func rms(_ deviations: [[Double]]) -> [Double] {
        (0..<deviations[0].count).map { i in (deviations.reduce(0) { $0 + $1[i] * $1[i] } / Double(deviations.count)).squareRoot() }
    }

    /// The Q wave at the start of `qrs` (deviations from the baseline): when the first deflection
    /// beyond 0.05 mV is negative, its depth and how long the trace stays below the baseline.
    static func qWave(_ qrs: [Double], rate: Double) -> (Double, Double) {
        guard let first = qrs.firstIndex(where: { abs($0) > 0.05 }), qrs[first] < 0 else { return (0, 0) }
        var end = first
        while end < qrs.count && qrs[end] < 0 { end += 1 }
        let depth = -(qrs[0..<end].min() ?? 0)
        var start = first
        while start > 0 && qrs[start - 1] < 0 { start -= 1 }
        return (depth, Double(end - start) / rate)
    }
}
