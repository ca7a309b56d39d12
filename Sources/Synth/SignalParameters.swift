import Determinism

/// Noise added to the electrodes, as the standard deviation or amplitude of each kind, in mV.
public struct NoiseLevels: Codable, Equatable, Sendable {
    /// Slow baseline drift (breathing, electrode movement), below 0.5 Hz.
    public var baselineWander: Double
    /// Mains interference at `mainsFrequency`.
    public var mainsHum: Double
    /// 50 or 60 Hz.
    public var mainsFrequency: Double
    /// Broadband muscle (EMG) noise.
    public var muscle: Double

    public init(baselineWander: Double, mainsHum: Double, mainsFrequency: Double = 50, muscle: Double) {
        self.baselineWander = baselineWander
        self.mainsHum = mainsHum
        self.mainsFrequency = mainsFrequency
        self.muscle = muscle
    }

    /// Random levels up to `scale` times those of a typical filtered resting recording
    /// (0.67–25 Hz, like the reports: little hum or muscle noise survives).
    public static func random(scale: Double, using rng: inout SplitMix64) -> NoiseLevels {
        NoiseLevels(baselineWander: scale * rng.uniform(0...0.12), mainsHum: scale * rng.uniform(0...0.015),
                    mainsFrequency: rng.chance(0.5) ? 50 : 60, muscle: scale * rng.uniform(0...0.012))
    }
}

/// Everything that shapes one simulated recording: the class, the rhythm, the wave sizes and
/// the condition's severity and territory. Drawn at random by `random(for:using:)`; recorded in
/// the sidecar.
public struct SignalParameters: Codable, Equatable, Sendable {
    public var label: ECGClass
    /// The mean heart rate in beats per minute.
    public var heartRate: Double
    /// The beat-to-beat variability of sinus RR intervals, as a fraction of the mean.
    public var rateVariability: Double
    /// Onset of P to onset of QRS, in seconds.
    public var prInterval: Double
    /// The frontal QRS axis in degrees (0 = towards lead I, 90 = towards aVF).
    public var qrsAxis: Double
    /// Peak sizes of the P, R and T dipoles, in mV.
    public var pAmplitude, rAmplitude, tAmplitude: Double
    /// The abnormal-heartbeat class's disorder; nil for the other classes.
    public var arrhythmia: Arrhythmia?
    /// The infarct's territory (both infarct classes); nil otherwise.
    public var territory: Territory?
    /// Condition severity in 0...1, which scales the sizes below.
    public var severity: Double
    /// Acute infarct: the ST injury dipole and the extra (hyperacute) T dipole along the territory, in mV.
    public var stElevation, hyperacuteT: Double
    /// Old infarct: the Q-wave dipole pointing away from the territory, and the T dipole turned away, in mV.
    public var qWaveDepth, tInversion: Double
    public var noise: NoiseLevels

    /// Draws a recording of class `label`, with noise up to `noiseScale` times typical levels.
    public static func random(for label: ECGClass, noiseScale: Double = 1, using rng: inout SplitMix64) -> SignalParameters {
        var p = SignalParameters(
            label: label, heartRate: rng.uniform(56...98), rateVariability: rng.uniform(0.01...0.05),
            prInterval: rng.uniform(0.12...0.19), qrsAxis: rng.uniform(-10...80),
            pAmplitude: rng.uniform(0.1...0.22), rAmplitude: rng.uniform(0.9...1.9), tAmplitude: rng.uniform(0.25...0.55),
            arrhythmia: nil, territory: nil, severity: 0, stElevation: 0, hyperacuteT: 0, qWaveDepth: 0, tInversion: 0,
            noise: NoiseLevels.random(scale: noiseScale, using: &rng))
        switch label {
        case .normal:
            break
        case .abnormalHeartbeat:
            // Premature beats and atrial fibrillation are the commonest findings; the rest share what is left.
            let arrhythmia = rng.pick([.prematureVentricularBeats, .prematureVentricularBeats, .prematureVentricularBeats,
                                       .atrialFibrillation, .atrialFibrillation, .prematureAtrialBeats, .prematureAtrialBeats,
                                       .bradycardia, .tachycardia, .tachycardia, .firstDegreeAVBlock] as [Arrhythmia])
            p.arrhythmia = arrhythmia
            p.severity = rng.uniform(0...1)
            switch arrhythmia {
            case .bradycardia: p.heartRate = 52 - 14 * p.severity
            case .tachycardia: p.heartRate = 108 + 42 * p.severity
            case .firstDegreeAVBlock: p.prInterval = 0.22 + 0.12 * p.severity
            case .atrialFibrillation: p.heartRate = rng.uniform(70...130)
            case .prematureVentricularBeats, .prematureAtrialBeats: break
            }
        case .myocardialInfarction:
            p.territory = rng.pick(Territory.allCases)
            p.severity = rng.uniform(0...1)
            p.stElevation = 0.15 + 0.35 * p.severity
            p.hyperacuteT = rng.uniform(0.2...0.4) + 0.4 * p.severity
            p.qWaveDepth = rng.chance(0.4) ? rng.uniform(0...0.3) * p.severity : 0
        case .historyOfMyocardialInfarction:
            p.territory = rng.pick(Territory.allCases)
            p.severity = rng.uniform(0...1)
            let form = rng.uniform(0...1)  // Q waves only, T inversion only, or both
            if form < 0.85 { p.qWaveDepth = 0.35 + 0.5 * p.severity }
            if form > 0.5 { p.tInversion = 0.2 + 0.35 * p.severity }
        }
        return p
    }
}
