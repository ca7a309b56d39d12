import Foundation
import Inference

/// The result page's view of ``FusionEvidence``: what the page's image and its trace each said,
/// and the measurements that moved the answer most, in plain words.
struct FusionView {
    struct Part {
        let label: String
        let image: String
        let trace: String
    }

    struct Driver {
        let name: String
        let value: String
        /// "towards" or "against" the answer.
        let direction: String
        let towards: Bool
    }

    let traceRead: Bool
    let refusal: String
    let imageWeight: String
    let parts: [Part]
    let drivers: [Driver]
    let hasDrivers: Bool
    /// The three leads that weighed most, in words: "V2 (for), V3 (for), aVR (against)".
    let leads: String?

    init(_ evidence: FusionEvidence, classes: [String]) {
        traceRead = evidence.traceRead
        refusal = evidence.refusal ?? ""
        imageWeight = String(format: "%.0f %%", evidence.imageWeight * 100)
        let percent = { (p: Float?) in p.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }
        parts = classes.map { name in
            Part(label: Conditions.label(name), image: percent(evidence.image[name]), trace: percent(evidence.trace?[name]))
        }
        drivers = evidence.measurements.map { m in
            Driver(name: Self.label(m.name), value: Self.format(m.name, m.value),
                   direction: m.contribution > 0 ? "towards" : "against", towards: m.contribution > 0)
        }
        hasDrivers = !drivers.isEmpty
        let top = evidence.leads.prefix(3).map { "\($0.lead) (\($0.contribution > 0 ? "for" : "against"))" }
        leads = top.isEmpty ? nil : top.joined(separator: ", ")
    }

    /// `q_depth_V2` → "Q-wave depth in V2", `heart_rate` → "Heart rate".
    static func label(_ name: String) -> String {
        let perLead = ["st": "ST deviation", "q_depth": "Q-wave depth", "q_width": "Q-wave width", "r_amplitude": "R amplitude",
                       "s_amplitude": "S amplitude", "t_amplitude": "T amplitude"]
        if let cut = name.lastIndex(of: "_"), let measure = perLead[String(name[..<cut])] {
            return "\(measure) in \(name[name.index(after: cut)...])"
        }
        // The per-territory findings (`anterior_q_count`...).
        let territoryMeasures = [
            "st_max": "largest ST deviation", "st_second": "second-largest ST deviation", "st_elevated": "leads with ST elevation",
            "reciprocal_st": "reciprocal ST (opposite leads)", "injury_pattern": "ST elevation with reciprocal depression",
            "st_to_qrs": "ST against QRS size", "q_count": "leads with Q waves", "q_max": "deepest Q wave",
            "t_inverted": "leads with inverted T", "t_min": "lowest T wave", "t_to_qrs": "T against QRS size",
        ]
        for territory in ["anterior", "inferior", "lateral"] where name.hasPrefix(territory + "_") {
            if let measure = territoryMeasures[String(name.dropFirst(territory.count + 1))] {
                return "\(territory.prefix(1).uppercased() + territory.dropFirst()) wall: \(measure)"
            }
        }
        let plain = ["heart_rate": "Heart rate", "rr_sdnn": "RR variability (SDNN)", "rr_rmssd": "RR variability (RMSSD)",
                     "beat_count": "Beats on the rhythm strip", "ectopic_count": "Ectopic beats", "ectopic_fraction": "Share of ectopic beats",
                     "p_wave_present": "P wave found", "pr_interval": "PR interval", "intervals_present": "Intervals measured",
                     "qrs_duration": "QRS duration", "qt_interval": "QT interval", "qtc_interval": "QTc interval",
                     "qrs_axis_cos": "QRS axis (cosine)", "qrs_axis_sin": "QRS axis (sine)", "digitised": "Trace read",
                     "readable_fraction": "Share of leads read", "st_elevated_leads": "Leads with ST elevation",
                     "st_depressed_leads": "Leads with ST depression", "st_range": "ST range across leads",
                     "territories_elevated": "Walls with ST elevation", "injury_contrast": "ST elevation against reciprocal depression",
                     "q_leads": "Leads with Q waves", "t_inverted_leads": "Leads with inverted T"]
        return plain[name] ?? name.replacingOccurrences(of: "_", with: " ")
    }

    /// The value in its unit: millivolts for amplitudes, milliseconds for intervals.
    static func format(_ name: String, _ value: Float) -> String {
        if name == "heart_rate" { return String(format: "%.0f /min", value) }
        let counts = ["_st_elevated", "_q_count", "_t_inverted", "_injury_pattern", "_leads", "territories_elevated"]
        if ["beat_count", "ectopic_count", "digitised", "p_wave_present", "intervals_present"].contains(name)
            || counts.contains(where: name.hasSuffix) {
            return String(format: "%.0f", value)
        }
        if ["pr_interval", "qrs_duration", "qt_interval", "qtc_interval", "rr_sdnn", "rr_rmssd"].contains(name) || name.hasPrefix("q_width") {
            return String(format: "%.0f ms", value * 1000)
        }
        let millivolts = ["_st_max", "_st_second", "_reciprocal_st", "_q_max", "_t_min", "st_range", "injury_contrast"]
        if ["st_", "q_depth_", "r_amplitude_", "s_amplitude_", "t_amplitude_"].contains(where: name.hasPrefix)
            || millivolts.contains(where: name.hasSuffix) {
            return String(format: "%.2f mV", value)
        }
        return String(format: "%.2f", value)
    }
}
