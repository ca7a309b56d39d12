import Determinism
import Foundation

/// The dipole vectors of one recording's waves, fixed for the recording (so that every sinus
/// beat looks alike), with the condition folded in: an infarct's injury current, lost forces
/// and turned T waves, and the focus of ectopic beats.
struct WaveSet {
    let parameters: SignalParameters
    let p, ectopicP, septalQ, r, s, t, injury, infarctQ: Vector3
    /// The ventricular focus of premature ventricular beats: its two QRS lobes and its T wave.
    let ventricularEarly, ventricularLate, ventricularT: Vector3

    init(_ parameters: SignalParameters, using rng: inout SplitMix64) {
        self.parameters = parameters
        let axis = parameters.qrsAxis * .pi / 180
        let u = parameters.territory?.direction ?? Vector3(0, 0, 0)
        p = Vector3(cos(55 * .pi / 180), sin(55 * .pi / 180), 0.15).normalized * parameters.pAmplitude
        ectopicP = Vector3(0.3, -0.9, 0.25).normalized * parameters.pAmplitude  // a low atrial focus
        septalQ = Vector3(-0.75, 0.1, 0.65).normalized * (0.12 * parameters.rAmplitude)
        var r = Vector3(cos(axis), sin(axis), -0.3).normalized * parameters.rAmplitude
        var t = Vector3(0.7, 0.55, 0.45).normalized * parameters.tAmplitude
        if parameters.label == .historyOfMyocardialInfarction {
            // Dead muscle generates no forces towards its territory.
            let towards = r.dot(u)
            if towards > 0 { r = r - u * (towards * min(1, 0.5 + parameters.severity * 0.5) * (parameters.qWaveDepth > 0 ? 1 : 0)) }
            t = t - u * (t.dot(u) + parameters.tInversion)
        }
        t = t + u * parameters.hyperacuteT
        self.r = r
        self.t = t
        s = Vector3(-0.3, -0.15, -0.9).normalized * (0.3 * parameters.rAmplitude)
        injury = u * parameters.stElevation
        infarctQ = u * -parameters.qWaveDepth
        let focus = Vector3(rng.uniform(-1...1), rng.uniform(-1...1), rng.uniform(-1...1))
        let direction = focus.length > 0.2 ? focus.normalized : Vector3(-0.6, 0.5, 0.6).normalized
        let size = rng.uniform(1.6...2.6)
        ventricularEarly = direction * size
        ventricularLate = (direction * -0.5 + Vector3(0.3, 0.2, -0.3)) * (0.5 * size)
        ventricularT = direction * (-0.35 * size)
    }

    /// Adds one beat's waves to the dipole. `precedingRR` sets the QT interval (Bazett).
    func add(_ beat: Beat, precedingRR: Double, to dipole: inout DipoleTrace) {
        let tR = beat.time
        if beat.kind == .prematureVentricular {
            dipole.addPulse(ventricularEarly, at: tR - 0.01, rise: 0.04, fall: 0.034)
            dipole.addPulse(ventricularLate, at: tR + 0.07, rise: 0.035)
            dipole.addPulse(ventricularT, at: tR + 0.3, rise: 0.07, fall: 0.05)
            return
        }
        let qrsOnset = tR - 0.04
        switch beat.kind {
        case .sinus: dipole.addPulse(p, at: qrsOnset - parameters.prInterval + 0.05, rise: 0.022)
        case .prematureAtrial: dipole.addPulse(ectopicP, at: qrsOnset - 0.13, rise: 0.02)
        case .fibrillation, .prematureVentricular: break
        }
        dipole.addPulse(septalQ, at: tR - 0.024, rise: 0.007)
        dipole.addPulse(infarctQ, at: tR - 0.018, rise: 0.011)
        dipole.addPulse(r, at: tR, rise: 0.0095)
        dipole.addPulse(s, at: tR + 0.024, rise: 0.009)
        let qt = 0.4 * min(max(precedingRR, 0.3), 2).squareRoot()
        let tPeak = qrsOnset + qt - 0.11
        dipole.addPulse(t, at: tPeak, rise: 0.055, fall: 0.038)
        if parameters.stElevation > 0 {
            // The injury current: a plateau from the J point into the T wave.
            let j = tR + 0.04, end = tPeak + 0.06
            dipole.add(injury, from: j - 0.05, to: end + 0.15) { time in
                1 / (1 + exp(-(time - j) / 0.006)) / (1 + exp(-(end - time) / 0.03))
            }
        }
    }

    /// Adds the fibrillatory waves of atrial fibrillation: a few 4–8 Hz oscillations of drifting phase.
    func addFibrillation(to dipole: inout DipoleTrace, using rng: inout SplitMix64) {
        let amplitude = rng.uniform(0.02...0.07), direction = Vector3(0.3, 0.5, 0.8).normalized
        let parts = (0..<3).map { _ in (f: rng.uniform(4...8), phase: rng.uniform(0...(2 * .pi)), drift: rng.uniform(0.2...1)) }
        dipole.add(direction * amplitude, from: 0, to: ECGSignal.duration) { time in
            var sum = 0.0
            for part in parts { sum += sin(2 * Double.pi * part.f * time + part.phase + sin(part.drift * time)) }
            return sum / 2
        }
    }
}
