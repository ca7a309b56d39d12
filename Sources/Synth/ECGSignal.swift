import Determinism
import Foundation

/// A simulated 12-lead recording: every lead in mV at `sampleRate`, with the beats that made it.
public struct ECGSignal: Sendable {
    public static let sampleRate = 500.0
    public static let duration = 10.0
    /// Samples per lead: 10 s at 500 Hz.
    public static let sampleCount = Int(sampleRate * duration)

    /// One array of `sampleCount` samples per lead, in `Lead.allCases` order.
    public let leads: [[Float]]
    /// The beats whose R peak lies inside the recording, in time order.
    public let beats: [Beat]
    public let parameters: SignalParameters

    /// The samples of one lead, in mV.
    public subscript(lead: Lead) -> [Float] { leads[Lead.allCases.firstIndex(of: lead)!] }
}

extension ECGSignal {
    /// Simulates 10 s of the 12-lead ECG `parameters` describe.
    ///
    /// The heart is a moving dipole: each wave (P, septal Q, R, S, ST injury current, T) adds a
    /// Gaussian pulse along its own direction. Leads I, II and V1–V6 are its projections on their
    /// lead vectors, plus noise at the electrodes; III, aVR, aVL and aVF follow from I and II
    /// by the Einthoven and Goldberger relations, so those hold exactly.
    /// See: lead vectors (Burger and van Milaan, 1946); Gaussian waves as in ECGSYN (McSharry et al., 2003).
    public static func simulate(_ parameters: SignalParameters, using rng: inout SplitMix64) -> ECGSignal {
        var dipole = DipoleTrace(count: sampleCount, sampleRate: sampleRate)
        let beats = BeatSchedule.make(parameters, start: -1.5, end: duration + 1.5, using: &rng)
        let waves = WaveSet(parameters, using: &rng)
        for (index, beat) in beats.enumerated() {
            let rr = index > 0 ? beat.time - beats[index - 1].time : 60 / parameters.heartRate
            waves.add(beat, precedingRR: rr, to: &dipole)
        }
        if parameters.arrhythmia == .atrialFibrillation { waves.addFibrillation(to: &dipole, using: &rng) }

        let n = sampleCount
        // Measured leads: I, II, V1...V6.
        var measured = ([Lead.i, .ii] + Lead.precordial).map { dipole.project($0.leadVector!) }
        addElectrodeNoise(parameters.noise, to: &measured, using: &rng)
        let i = measured[0], ii = measured[1]
        var iii = [Float](repeating: 0, count: n), aVR = iii, aVL = iii, aVF = iii
        for t in 0..<n {
            iii[t] = ii[t] - i[t]
            aVR[t] = -(i[t] + ii[t]) / 2
            aVL[t] = i[t] - ii[t] / 2
            aVF[t] = ii[t] - i[t] / 2
        }
        let leads = [i, ii, iii, aVR, aVL, aVF] + measured[2...]
        return ECGSignal(leads: leads, beats: beats.filter { $0.time >= 0 && $0.time < duration }, parameters: parameters)
    }

    /// Adds each electrode's own noise (RA, LA, LL and the six chest electrodes) to the leads
    /// measured between them, so that limb-lead noise also obeys Einthoven's law.
    private static func addElectrodeNoise(_ levels: NoiseLevels, to leads: inout [[Float]], using rng: inout SplitMix64) {
        guard levels.baselineWander > 0 || levels.mainsHum > 0 || levels.muscle > 0 else { return }
        let electrodes = (0..<9).map { _ in electrodeNoise(levels, using: &rng) }
        let (ra, la, ll) = (electrodes[0], electrodes[1], electrodes[2])
        for t in 0..<sampleCount {
            let wilson = (ra[t] + la[t] + ll[t]) / 3
            leads[0][t] += la[t] - ra[t]
            leads[1][t] += ll[t] - ra[t]
            for k in 0..<6 { leads[2 + k][t] += electrodes[3 + k][t] - wilson }
        }
    }

    /// One electrode's noise: slow wander, mains hum and muscle noise, in mV.
    private static func electrodeNoise(_ levels: NoiseLevels, using rng: inout SplitMix64) -> [Float] {
        let wander = (0..<3).map { _ in (f: rng.uniform(0.05...0.5), phase: rng.uniform(0...(2 * .pi)), a: rng.uniform(0.3...1)) }
        let humAmplitude = levels.mainsHum * rng.uniform(0.5...1.5), humPhase = rng.uniform(0...(2 * .pi))
        var previous = 0.0
        return (0..<sampleCount).map { t in
            let time = Double(t) / sampleRate
            var v = 0.0
            for w in wander { v += levels.baselineWander * w.a * sin(2 * Double.pi * w.f * time + w.phase) / 2 }
            v += humAmplitude * sin(2 * .pi * levels.mainsFrequency * time + humPhase)
            let muscle = levels.muscle * rng.normal()
            v += (muscle + previous) / 2  // a little low-pass, as the skin and amplifier give
            previous = muscle
            return Float(v)
        }
    }
}

/// The heart's dipole over time: three components sampled at `sampleRate`.
struct DipoleTrace {
    var x, y, z: [Double]
    let sampleRate: Double

    init(count: Int, sampleRate: Double) {
        x = [Double](repeating: 0, count: count)
        (y, z) = (x, x)
        self.sampleRate = sampleRate
    }

    /// Adds `vector * shape(t)` for the samples in `start...end` seconds.
    mutating func add(_ vector: Vector3, from start: Double, to end: Double, shape: (Double) -> Double) {
        let first = max(0, Int((start * sampleRate).rounded(.up))), last = min(x.count - 1, Int(end * sampleRate))
        guard first <= last else { return }
        for t in first...last {
            let s = shape(Double(t) / sampleRate)
            x[t] += vector.x * s
            y[t] += vector.y * s
            z[t] += vector.z * s
        }
    }

    /// Adds a Gaussian pulse centred at `centre` with widths `rise` before and `fall` after it.
    mutating func addPulse(_ vector: Vector3, at centre: Double, rise: Double, fall: Double? = nil) {
        let fall = fall ?? rise
        add(vector, from: centre - 4 * rise, to: centre + 4 * fall) { t in
            let d = (t - centre) / (t < centre ? rise : fall)
            return exp(-0.5 * d * d)
        }
    }

    /// The voltage a lead with `leadVector` measures.
    func project(_ leadVector: Vector3) -> [Float] {
        (0..<x.count).map { Float(x[$0] * leadVector.x + y[$0] * leadVector.y + z[$0] * leadVector.z) }
    }
}
