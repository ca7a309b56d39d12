/// Finds the heartbeats: QRS complexes stand out as the stretches of steepest slope, as in Pan
/// and Tompkins (1985). At every moment four traces show the same heartbeat (the rhythm strip and
/// the three rows' panels), so their squared slopes are added: a beat small in one lead is large
/// in another.
enum BeatDetector {
    /// The R-peak times in seconds from the start of the recording, at least 300 ms apart.
    static func rPeaks(leads: [DigitisedLead], rhythm: DigitisedLead, rate: Double) -> [Double] {
        let n = rhythm.samples.count
        guard n > Int(rate) else { return [] }
        let margin = Int(0.02 * rate)
        // Each trace's squared slope; the panel's edges are left out (a column change is not a heartbeat).
        var traces: [(offset: Int, energy: [Double], scale: Double)] = []
        for lead in [rhythm] + leads where lead.readable {
            let x = highPassed(lead.samples.map(Double.init), rate: rate)
            guard x.count > 2 * margin + 2 else { continue }
            var own = [Double](repeating: 0, count: x.count)
            for i in (1 + margin)..<(x.count - 1 - margin) { own[i] = (x[i + 1] - x[i - 1]) * (x[i + 1] - x[i - 1]) }
            traces.append((Int((lead.startSeconds * rate).rounded()), own, own.sorted()[Int(Double(own.count - 1) * 0.99)]))
        }
        guard !traces.isEmpty else { return [] }
        // A trace steeper than the typical one is scaled down to it, so that one column's huge QRS
        // does not hide the other columns' beats; small traces are not scaled up (noise stays small).
        let typicalScale = traces.map(\.scale).sorted()[traces.count / 2]
        var slope = [Double](repeating: 0, count: n)
        for trace in traces {
            let factor = trace.scale > typicalScale ? typicalScale / trace.scale : 1
            for i in trace.energy.indices where trace.offset + i < n { slope[trace.offset + i] += trace.energy[i] * factor }
        }
        let energy = boxSmoothed(slope, radius: Int(0.02 * rate))
        let threshold = 0.2 * energy.sorted()[Int(Double(n - 1) * 0.99)]
        guard threshold > 0 else { return [] }
        let refractory = Int(0.3 * rate), search = Int(0.06 * rate)
        var peaks: [Int] = []
        var i = 0
        while i < n {
            guard energy[i] > threshold else { i += 1; continue }
            // The highest energy within 150 ms of crossing the threshold is this beat's.
            var best = i
            for j in i..<min(n, i + refractory / 2) where energy[j] > energy[best] { best = j }
            if let last = peaks.last, best - last < refractory {
                if energy[best] > energy[last] { peaks[peaks.count - 1] = best }
            } else {
                peaks.append(best)
            }
            i = best + refractory / 2
        }
        guard !peaks.isEmpty else { return [] }
        // A beat far weaker than the typical one is a T wave or noise.
        let typical = peaks.map { energy[$0] }.sorted()[peaks.count / 2]
        peaks = peaks.filter { energy[$0] > 0.25 * typical }
        // The R peak: the largest deflection from the local baseline on the rhythm strip near the slope's peak.
        let x = highPassed(rhythm.samples.map(Double.init), rate: rate)
        return peaks.map { p in
            let range = max(0, p - search)...min(n - 1, p + search)
            let r = range.max { abs(x[$0]) < abs(x[$1]) } ?? p
            return Double(r) / rate
        }
    }

    /// `values` minus their 0.6-s moving average: removes baseline wander, keeps the QRS.
    static func highPassed(_ values: [Double], rate: Double) -> [Double] {
        let mean = boxSmoothed(values, radius: Int(0.3 * rate))
        return values.indices.map { values[$0] - mean[$0] }
    }
}
