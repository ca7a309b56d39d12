import Digitise
import Foundation

/// The `measurements` object of `POST /api/v1/predict?measure=1`: what `ecg digitise` reads off
/// the page (rate, rhythm, intervals, axis, per-lead ST, Q and T), or why it could not.
///
/// `status` is `measured`, `refused` (the trace could not be extracted: no grid, another layout,
/// traces not followed or implausible; `reason` says which), `timed_out` (digitising took longer
/// than the server allows) or `busy` (too many pages being measured at once). Only `measured`
/// carries figures; `refused` is true for every other status. Times in seconds, amplitudes in mV.
public struct MeasurementsResponse: Sendable, Codable, Equatable {
    /// One lead's findings on its median beat.
    public struct Lead: Sendable, Codable, Equatable {
        public let lead: String
        /// ST deviation 60 ms after the J point, from the PR segment (positive: elevation).
        public let stDeviation: Double
        /// Q-wave depth (positive mV) and width (s); 0 when the QRS does not start negative.
        public let qDepth, qWidth: Double
        public let rAmplitude, sAmplitude: Double
        public let tAmplitude: Double
        /// `upright`, `inverted` or `flat` (|T| under 0.05 mV).
        public let tPolarity: String

        enum CodingKeys: String, CodingKey {
            case lead
            case stDeviation = "st_deviation_mv", qDepth = "q_depth_mv", qWidth = "q_width_s", rAmplitude = "r_amplitude_mv"
            case sAmplitude = "s_amplitude_mv", tAmplitude = "t_amplitude_mv", tPolarity = "t_polarity"
        }
    }

    /// The plausibility figures the page passed or failed (see `TraceQuality`).
    public struct Quality: Sendable, Codable, Equatable {
        public let rhythmMatch, baselineDrift, meanCoverage: Double
        enum CodingKeys: String, CodingKey {
            case rhythmMatch = "rhythm_match", baselineDrift = "baseline_drift_mv", meanCoverage = "mean_coverage"
        }
    }

    public enum Status: String, Sendable, Codable {
        case measured, refused, timedOut = "timed_out", busy
    }

    public let status: Status
    /// True unless `status` is `measured`: no figures came back.
    public let refused: Bool
    /// Why nothing was measured, in words (nil when measured).
    public var reason: String?
    public var heartRate: Double?
    public var rrIntervals: [Double]?
    public var rrStandardDeviation, rrSuccessiveDifferences: Double?
    public var beatCount: Int?
    public var ectopicBeatTimes: [Double]?
    public var prInterval, qrsDuration, qtInterval, qtcInterval: Double?
    public var qrsAxis: Double?
    /// The lead the rhythm strip shows.
    public var rhythmLead: String?
    /// Leads whose trace was found in too few columns to be trusted (their figures are still given).
    public var unreadableLeads: [String]?
    public var leads: [Lead]?
    public var quality: Quality?
    /// The page with the traces read drawn in red, as a base64 PNG (with `overlay=1`).
    public var overlayPNG: String?
    /// How long digitising and measuring took.
    public var milliseconds: Double?

    enum CodingKeys: String, CodingKey {
        case status, refused, reason, leads, quality, milliseconds
        case heartRate = "heart_rate_bpm", rrIntervals = "rr_intervals_s", rrStandardDeviation = "rr_sdnn_s"
        case rrSuccessiveDifferences = "rr_rmssd_s", beatCount = "beat_count", ectopicBeatTimes = "ectopic_beat_times_s"
        case prInterval = "pr_interval_s", qrsDuration = "qrs_duration_s", qtInterval = "qt_interval_s"
        case qtcInterval = "qtc_interval_s", qrsAxis = "qrs_axis_degrees", rhythmLead = "rhythm_lead"
        case unreadableLeads = "unreadable_leads", overlayPNG = "overlay_png"
    }

    /// No figures: `status` and why.
    public init(status: Status, reason: String) {
        self.status = status
        refused = status != .measured
        self.reason = reason
    }

    /// The figures of `ecg`, measured.
    public init(_ ecg: DigitisedECG, _ measured: Measurements, overlayPNG: [UInt8]? = nil, milliseconds: Double? = nil) {
        status = .measured
        refused = false
        heartRate = measured.heartRate.map { Self.rounded($0, 1) }
        rrIntervals = measured.rrIntervals.map { Self.rounded($0) }
        rrStandardDeviation = measured.rrStandardDeviation.map { Self.rounded($0) }
        rrSuccessiveDifferences = measured.rrSuccessiveDifferences.map { Self.rounded($0) }
        beatCount = measured.beatTimes.count
        ectopicBeatTimes = measured.ectopicBeatTimes
        prInterval = measured.prInterval.map { Self.rounded($0) }
        qrsDuration = measured.qrsDuration.map { Self.rounded($0) }
        qtInterval = measured.qtInterval.map { Self.rounded($0) }
        qtcInterval = measured.qtcInterval.map { Self.rounded($0) }
        qrsAxis = measured.qrsAxis.map { Self.rounded($0, 0) }
        rhythmLead = ecg.rhythm.name
        unreadableLeads = ecg.leads.filter { !$0.readable }.map(\.name)
        leads = measured.leads.map {
            Lead(lead: $0.lead, stDeviation: Self.rounded($0.stDeviation), qDepth: Self.rounded($0.qDepth), qWidth: Self.rounded($0.qWidth),
                 rAmplitude: Self.rounded($0.rAmplitude), sAmplitude: Self.rounded($0.sAmplitude), tAmplitude: Self.rounded($0.tAmplitude),
                 tPolarity: $0.tPolarity > 0 ? "upright" : ($0.tPolarity < 0 ? "inverted" : "flat"))
        }
        quality = Quality(rhythmMatch: Self.rounded(ecg.quality.rhythmMatch), baselineDrift: Self.rounded(ecg.quality.baselineDrift),
                          meanCoverage: Self.rounded(ecg.quality.meanCoverage))
        self.overlayPNG = overlayPNG.map { Data($0).base64EncodedString() }
        self.milliseconds = milliseconds.map { Self.rounded($0, 1) }
    }

    /// `value` to `digits` decimals (milliseconds and microvolts by default): the figures are not more precise.
    private static func rounded(_ value: Double, _ digits: Int = 3) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}
