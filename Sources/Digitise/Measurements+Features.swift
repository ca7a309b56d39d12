import Foundation
import ReportFormat

/// The measurements as a fixed-length numeric feature vector for classifiers.
///
/// Layout: rate, rhythm and intervals (14), per lead in `ReportGeometry.leads` order ST, Q depth and
/// width, R, S and T (72), then the per-territory summaries of `TerritoryFindings` (40).
///
/// Missing values become 0 with an indicator beside them (`p_wave_present`, `intervals_present`),
/// so that every page yields the same `featureNames.count` numbers. Units: seconds, mV, degrees
/// (the axis as its sine and cosine, which have no wrap-around), beats per minute.
extension Measurements {
    /// The names of `featureVector`'s entries, the same for every page.
    public static let featureNames: [String] = {
        var names = ["heart_rate", "rr_sdnn", "rr_rmssd", "beat_count", "ectopic_count", "ectopic_fraction",
                     "p_wave_present", "pr_interval", "intervals_present", "qrs_duration", "qt_interval", "qtc_interval",
                     "qrs_axis_cos", "qrs_axis_sin"]
        for lead in ReportGeometry.leads {
            names += ["st_\(lead)", "q_depth_\(lead)", "q_width_\(lead)", "r_amplitude_\(lead)", "s_amplitude_\(lead)", "t_amplitude_\(lead)"]
        }
        return names + TerritoryFindings.featureNames
    }()

    /// The feature values, in `featureNames` order.
    public var featureVector: [Double] {
        let axis = (qrsAxis ?? 0) * Double.pi / 180
        var values: [Double] = [
            heartRate ?? 0, rrStandardDeviation ?? 0, rrSuccessiveDifferences ?? 0, Double(beatTimes.count),
            Double(ectopicBeatTimes.count), beatTimes.isEmpty ? 0 : Double(ectopicBeatTimes.count) / Double(beatTimes.count),
            prInterval == nil ? 0 : 1, prInterval ?? 0, qrsDuration == nil ? 0 : 1, qrsDuration ?? 0, qtInterval ?? 0,
            qtcInterval ?? 0, qrsAxis == nil ? 0 : cos(axis), qrsAxis == nil ? 0 : sin(axis),
        ]
        for lead in ReportGeometry.leads {
            if let m = leads.first(where: { $0.lead == lead }) {
                values += [m.stDeviation, m.qDepth, m.qWidth, m.rAmplitude, m.sAmplitude, m.tAmplitude]
            } else {
                values += [0, 0, 0, 0, 0, 0]
            }
        }
        return values + TerritoryFindings(leads).featureVector
    }
}
