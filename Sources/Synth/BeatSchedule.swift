import Determinism
import Foundation

/// How a beat was started and conducted.
public enum BeatKind: String, Codable, Sendable {
    /// From the sinus node: normal P, PR and QRS.
    case sinus
    /// From an ectopic atrial focus: early, with an abnormal P wave.
    case prematureAtrial = "premature_atrial"
    /// From a ventricular focus: early, wide QRS, no P wave.
    case prematureVentricular = "premature_ventricular"
    /// Conducted from fibrillating atria: no P wave, irregular timing.
    case fibrillation
}

/// One heartbeat: its kind and the time of its R peak (QRS centre) in seconds from the start.
public struct Beat: Codable, Equatable, Sendable {
    public var time: Double
    public var kind: BeatKind
}

/// The beat times of a recording, generated a little beyond both ends so that waves cross the edges.
enum BeatSchedule {
    /// Draws the beats between `start` and `end` seconds for `parameters`' rhythm.
    static func make(_ parameters: SignalParameters, start: Double, end: Double, using rng: inout SplitMix64) -> [Beat] {
        let meanRR = 60 / parameters.heartRate
        if parameters.arrhythmia == .atrialFibrillation {
            var beats: [Beat] = [], t = start + rng.uniform(0...meanRR)
            while t < end {
                beats.append(Beat(time: t, kind: .fibrillation))
                t += meanRR * rng.uniform(0.55...1.45)  // irregularly irregular
            }
            return beats
        }
        // Sinus rhythm, with respiratory variation and a little random jitter.
        var beats: [Beat] = [], t = start + rng.uniform(0...meanRR)
        let breathing = rng.uniform(3...5), phase = rng.uniform(0...(2 * .pi))
        while t < end {
            beats.append(Beat(time: t, kind: .sinus))
            let variation = parameters.rateVariability * (sin(2 * .pi * t / breathing + phase) + 0.5 * rng.normal())
            t += meanRR * (1 + variation)
        }
        guard let arrhythmia = parameters.arrhythmia,
              arrhythmia == .prematureVentricularBeats || arrhythmia == .prematureAtrialBeats else { return beats }
        // Premature beats: 1 to 3 (more when severe), each replacing a sinus beat inside the page.
        let candidates = beats.indices.filter { $0 > 0 && $0 < beats.count - 1 && beats[$0].time > 0.6 && beats[$0].time < 9.4 }
        var chosen: [Int] = []
        let wanted = 1 + Int(parameters.severity * 2.99)
        for index in candidates.shuffled(using: &rng) where chosen.count < wanted && chosen.allSatisfy({ abs($0 - index) > 1 }) {
            chosen.append(index)
        }
        for index in chosen.sorted() {
            let previous = beats[index - 1].time, rr = beats[index].time - previous
            if arrhythmia == .prematureVentricularBeats {
                // The sinus node keeps its pace: the next beat comes on time (compensatory pause).
                beats[index] = Beat(time: previous + rr * rng.uniform(0.5...0.68), kind: .prematureVentricular)
            } else {
                // The sinus node is reset: the rest of the rhythm moves earlier with the premature beat.
                let early = previous + rr * rng.uniform(0.6...0.75)
                let shift = beats[index].time - early
                beats[index] = Beat(time: early, kind: .prematureAtrial)
                for later in (index + 1)..<beats.count { beats[later].time -= shift * 0.6 }
            }
        }
        return beats
    }
}
