import Foundation
import ReportFormat

/// One lead's measurements on its median beat (amplitudes in mV relative to the PR segment).
public struct LeadMeasurements: Codable, Equatable, Sendable {
    public let lead: String
    /// ST deviation 60 ms after the J point (end of QRS); positive is elevation.
    public let stDeviation: Double
    /// The Q wave: depth (positive mV) and width (s); zero when the QRS does not start negative.
    public let qDepth, qWidth: Double
    /// The largest positive and negative QRS deflections (R and S sizes, both positive mV).
    public let rAmplitude, sAmplitude: Double
    /// The T wave's peak deflection (signed mV) and polarity: 1 upright, -1 inverted, 0 flat (under 0.05 mV).
    public let tAmplitude: Double
    public let tPolarity: Int

    /// A lead's measurements; the T polarity follows from `tAmplitude` (flat under 0.05 mV).
    public init(lead: String, stDeviation: Double, qDepth: Double = 0, qWidth: Double = 0, rAmplitude: Double,
                sAmplitude: Double = 0, tAmplitude: Double) {
        self.lead = lead
        self.stDeviation = stDeviation
        (self.qDepth, self.qWidth) = (qDepth, qWidth)
        (self.rAmplitude, self.sAmplitude) = (rAmplitude, sAmplitude)
        self.tAmplitude = tAmplitude
        tPolarity = abs(tAmplitude) < 0.05 ? 0 : (tAmplitude > 0 ? 1 : -1)
    }
}

/// Clinical measurements read from a digitised ECG: rate and rhythm from the 10-s rhythm strip,
/// intervals, axis and per-lead findings from each lead's median beat.
///
/// Intervals come from all twelve median beats together: the QRS lasts while any lead is steep,
/// the T wave ends when every lead is back near its baseline. They are nil when they cannot be
/// measured (no P wave in atrial fibrillation, too few beats).
public struct Measurements: Codable, Equatable, Sendable {
    /// R-peak times on the rhythm strip (s from its start), and which of them are ectopic: early
    /// (RR under 80 % of the median) or shaped unlike the others (QRS correlation under 0.5, where
    /// the rhythm strip's QRS is at least 0.3 mV from peak to trough).
    public let beatTimes: [Double]
    public let ectopicBeatTimes: [Double]
    /// RR intervals (s), mean heart rate (beats/min), and their variability: SDNN and RMSSD (s).
    public let rrIntervals: [Double]
    public let heartRate: Double?
    public let rrStandardDeviation, rrSuccessiveDifferences: Double?
    /// Intervals in seconds: PR (P onset to QRS onset), QRS, QT (QRS onset to T end) and QTc (Bazett).
    public let prInterval, qrsDuration, qtInterval, qtcInterval: Double?
    /// The frontal QRS axis in degrees (-180...180; 0 towards lead I, 90 towards aVF), from the net QRS areas of I and aVF.
    public let qrsAxis: Double?
    /// Per-lead findings, in `ReportGeometry.leads` order; leads without a usable beat are left out.
    public let leads: [LeadMeasurements]

    /// Measures `ecg`.
    public init(_ ecg: DigitisedECG) {
        self.init(leads: ecg.leads, rhythm: ecg.rhythm, sampleRate: ecg.sampleRate)
    }

    /// Measures twelve leads (in `ReportGeometry.leads` order, each with its start time) and a
    /// 10-s rhythm strip sampled at `sampleRate`: a digitised page, or any recording cut the same way.
    public init(leads: [DigitisedLead], rhythm: DigitisedLead, sampleRate rate: Double) {
        let beats = BeatDetector.rPeaks(leads: leads, rhythm: rhythm, rate: rate)
        beatTimes = beats.map { ($0 * 1000).rounded() / 1000 }
        rrIntervals = zip(beats.dropFirst(), beats).map { $0 - $1 }
        let ectopic = Self.ectopicBeats(beats, rhythm: rhythm.samples, rate: rate)
        ectopicBeatTimes = ectopic.map { (beats[$0] * 1000).rounded() / 1000 }
        if rrIntervals.isEmpty {
            (heartRate, rrStandardDeviation, rrSuccessiveDifferences) = (nil, nil, nil)
        } else {
            let mean = rrIntervals.reduce(0, +) / Double(rrIntervals.count)
            heartRate = 60 / mean
            rrStandardDeviation = (rrIntervals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rrIntervals.count)).squareRoot()
            let differences = zip(rrIntervals.dropFirst(), rrIntervals).map { ($0 - $1) * ($0 - $1) }
            rrSuccessiveDifferences = differences.isEmpty ? nil : (differences.reduce(0, +) / Double(differences.count)).squareRoot()
        }
        // Beats for the median beat: neither ectopic nor followed by an ectopic beat (whose early
        // QRS would fall into the T wave).
        let normal = beats.indices.filter { !ectopic.contains($0) && !ectopic.contains($0 + 1) }.map { beats[$0] }
        let medianRR = rrIntervals.isEmpty ? nil : rrIntervals.sorted()[rrIntervals.count / 2]
        let fiducials = MedianBeats(leads, rate: rate, beats: normal, medianRR: medianRR)
        prInterval = fiducials.prInterval
        qrsDuration = fiducials.qrsDuration
        qtInterval = fiducials.qtInterval
        if let qt = fiducials.qtInterval, let rr = medianRR { qtcInterval = qt / rr.squareRoot() } else { qtcInterval = nil }
        qrsAxis = fiducials.qrsAxis
        self.leads = fiducials.leadMeasurements
    }

    /// Indices of beats that come early or look unlike the rest.
    static func ectopicBeats(_ beats: [Double], rhythm: [Float], rate: Double) -> Set<Int> {
        guard beats.count >= 3 else { return [] }
        let rr = zip(beats.dropFirst(), beats).map { $0 - $1 }
        let median = rr.sorted()[rr.count / 2]
        var ectopic = Set<Int>()
        for (k, interval) in rr.enumerated() where interval < 0.8 * median { ectopic.insert(k + 1) }
        // Shape: each QRS (±100 ms) against the median QRS of all beats on the rhythm strip.
        let half = Int(0.1 * rate)
        let windows: [[Float]?] = beats.map { t in
            let centre = Int((t * rate).rounded())
            guard centre - half >= 0, centre + half < rhythm.count else { return nil }
            return Array(rhythm[(centre - half)...(centre + half)])
        }
        let complete = windows.compactMap { $0 }
        guard complete.count >= 3 else { return ectopic }
        let template = (0..<(2 * half + 1)).map { i in complete.map { $0[i] }.sorted()[complete.count / 2] }
        // A small QRS is mostly line noise on the page: its shape says nothing.
        guard let high = template.max(), let low = template.min(), high - low > 0.3 else { return ectopic }
        for (k, window) in windows.enumerated() {
            if let window, SignalMath.correlation(window, template) < 0.5 { ectopic.insert(k) }
        }
        return ectopic
    }
}
