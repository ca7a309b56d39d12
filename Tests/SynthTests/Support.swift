import Determinism
import Foundation
@testable import Synth

/// Parameters of class `label` drawn from `seed`, without noise, then adjusted by `change`.
func parameters(_ label: ECGClass, seed: UInt64, _ change: (inout SignalParameters) -> Void = { _ in }) -> SignalParameters {
    var rng = SplitMix64(seed: seed)
    var p = SignalParameters.random(for: label, noiseScale: 0, using: &rng)
    change(&p)
    return p
}

/// The recording `parameters` describe, simulated with `seed`.
func simulate(_ parameters: SignalParameters, seed: UInt64 = 1) -> ECGSignal {
    var rng = SplitMix64(seed: seed)
    return ECGSignal.simulate(parameters, using: &rng)
}

extension ECGSignal {
    /// The sample of `lead` at `time` seconds (nil outside the recording).
    func value(_ lead: Lead, at time: Double) -> Double? {
        let index = Int((time * Self.sampleRate).rounded())
        return (0..<Self.sampleCount).contains(index) ? Double(self[lead][index]) : nil
    }

    /// The largest absolute value of `lead` between `from` and `to` seconds.
    func peak(_ lead: Lead, from: Double, to: Double) -> Double {
        let first = max(0, Int(from * Self.sampleRate)), last = min(Self.sampleCount - 1, Int(to * Self.sampleRate))
        return (first...last).map { abs(Double(self[lead][$0])) }.max() ?? 0
    }

    /// The mean ST level of `lead`: the signal `offset` s after each R peak, less the PR-segment
    /// baseline 60 ms before it, over the beats fully inside the recording.
    func stLevel(_ lead: Lead, offset: Double) -> Double {
        let levels = beats.compactMap { beat -> Double? in
            guard let st = value(lead, at: beat.time + offset), let base = value(lead, at: beat.time - 0.06) else { return nil }
            return st - base
        }
        return levels.reduce(0, +) / Double(levels.count)
    }

    /// The QRS duration of `beat`: from the first to the last sample within 120 ms of its R peak
    /// where the spatial magnitude of (I, aVF, V2) exceeds 30% of its peak there.
    func qrsWidth(_ beat: Beat) -> Double {
        let first = Int((beat.time - 0.12) * Self.sampleRate), last = Int((beat.time + 0.12) * Self.sampleRate)
        let (i, aVF, v2) = (self[.i], self[.aVF], self[.v2])
        let magnitude = (first...last).map { t -> Float in
            let frontal: Float = i[t] * i[t] + aVF[t] * aVF[t]
            return (frontal + v2[t] * v2[t]).squareRoot()
        }
        let threshold = 0.3 * magnitude.max()!
        let above = magnitude.indices.filter { magnitude[$0] > threshold }
        return Double(above.last! - above.first!) / Self.sampleRate
    }

    /// The RR intervals between consecutive beats, in seconds.
    var rrIntervals: [Double] { zip(beats.dropFirst(), beats).map { $0.time - $1.time } }
}

/// The coefficient of variation (standard deviation over mean) of `values`.
func variation(_ values: [Double]) -> Double {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return variance.squareRoot() / mean
}

/// Runs `body` with a fresh temporary directory, deleted afterwards.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("SynthTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}
