import Foundation
import Inference

/// The result page's view of ``MeasurementsResponse``: the summary figures as label/value rows,
/// one table row per lead, the overlay image, or why the page could not be measured.
struct MeasurementsView {
    struct Row {
        let label: String
        let value: String
    }

    struct LeadRow {
        let lead: String
        let st: String
        /// "0.12 mV, 40 ms", or an em dash when there is no Q wave.
        let q: String
        let t: String
        /// The ST deviation is at least 0.1 mV (elevation or depression): the row is marked.
        let stNotable: Bool
    }

    let measured: Bool
    let reason: String
    let summary: [Row]
    let leads: [LeadRow]
    let unreadable: String?
    /// A `data:` URL of the overlay PNG, when there is one.
    let overlaySource: String?

    init(_ m: MeasurementsResponse) {
        measured = m.status == .measured
        reason = m.reason ?? ""
        func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%.0f ms", $0 * 1000) } ?? "not measured" }
        var rows: [Row] = []
        if measured {
            rows.append(Row(label: "Heart rate", value: m.heartRate.map { String(format: "%.0f beats/min", $0) } ?? "not measured"))
            let ectopic = m.ectopicBeatTimes?.count ?? 0
            rows.append(Row(label: "Beats (rhythm strip)", value: "\(m.beatCount ?? 0), \(ectopic) ectopic"))
            rows.append(Row(label: "RR variability (SDNN, RMSSD)", value: "\(ms(m.rrStandardDeviation)), \(ms(m.rrSuccessiveDifferences))"))
            rows.append(Row(label: "PR interval", value: m.prInterval == nil ? "no P wave found" : ms(m.prInterval)))
            rows.append(Row(label: "QRS duration", value: ms(m.qrsDuration)))
            rows.append(Row(label: "QT / QTc (Bazett)", value: "\(ms(m.qtInterval)) / \(ms(m.qtcInterval))"))
            rows.append(Row(label: "QRS axis", value: m.qrsAxis.map { String(format: "%.0f°", $0) } ?? "not measured"))
            rows.append(Row(label: "Rhythm strip lead", value: m.rhythmLead ?? "?"))
        }
        summary = rows
        leads = (m.leads ?? []).map { lead in
            // No-break spaces keep each value with its unit on a narrow screen.
            LeadRow(lead: lead.lead, st: String(format: "%+.2f\u{00A0}mV", lead.stDeviation),
                    q: lead.qDepth > 0 ? String(format: "%.2f\u{00A0}mV, %.0f\u{00A0}ms", lead.qDepth, lead.qWidth * 1000) : "—",
                    t: lead.tPolarity, stNotable: abs(lead.stDeviation) >= 0.1)
        }
        unreadable = (m.unreadableLeads ?? []).isEmpty ? nil : m.unreadableLeads!.joined(separator: ", ")
        overlaySource = m.overlayPNG.map { "data:image/png;base64," + $0 }
    }
}
