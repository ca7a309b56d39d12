import Foundation
import ReportFormat

/// The digitised signals as files: CSV and a WFDB record, both in the PhysioNet 2024 challenge's
/// shape: twelve 10-s signals at 500 Hz, each blank (NaN) outside the 2.5 s its panel shows, and
/// the rhythm strip's lead filled over all 10 s from the strip.
extension DigitisedECG {
    /// The twelve leads over the whole recording (`ReportGeometry.leads` order), NaN where not shown.
    public var fullLeads: [[Float]] {
        let count = Int((ReportGeometry.stripSeconds * sampleRate).rounded())
        return leads.map { lead in
            if lead.name == rhythm.name { return Array(rhythm.samples.prefix(count)) }
            var samples = [Float](repeating: .nan, count: count)
            let first = Int((lead.startSeconds * sampleRate).rounded())
            for (k, v) in lead.samples.enumerated() where first + k < count { samples[first + k] = v }
            return samples
        }
    }

    /// CSV text: a header `time_s,I,II,...,V6`, then one row per sample; blank cells where a lead is not shown.
    public func csv() -> String {
        let signals = fullLeads
        var text = "time_s," + ReportGeometry.leads.joined(separator: ",") + "\n"
        for n in 0..<(signals.first?.count ?? 0) {
            text += String(format: "%.3f", Double(n) / sampleRate)
            for signal in signals { text += signal[n].isNaN ? "," : String(format: ",%.4f", signal[n]) }
            text += "\n"
        }
        return text
    }

    /// Stored units per millivolt in the WFDB record (1 µV resolution).
    public static let wfdbGain = 1000.0

    /// A WFDB record `name`: the header (`.hea`) and the signal file (`.dat`, format 16: 16-bit
    /// little-endian samples, interleaved; -32768 marks a sample that is not shown).
    public func wfdbRecord(name: String) -> (header: String, data: Data) {
        let signals = fullLeads
        let count = signals.first?.count ?? 0
        let stored: [[Int16]] = signals.map { signal in
            signal.map { v in
                guard !v.isNaN else { return Int16.min }
                return Int16(clamping: Int((Double(v) * Self.wfdbGain).rounded()))
            }
        }
        var data = Data(capacity: count * stored.count * 2)
        for n in 0..<count {
            for signal in stored {
                let bits = UInt16(bitPattern: signal[n])
                data.append(UInt8(bits & 0xff))
                data.append(UInt8(bits >> 8))
            }
        }
        var header = "\(name) \(stored.count) \(Int(sampleRate)) \(count)\n"
        for (lead, signal) in zip(ReportGeometry.leads, stored) {
            let checksum = Int16(truncatingIfNeeded: signal.reduce(0) { $0 + Int($1) })
            header += "\(name).dat 16 \(Int(Self.wfdbGain))/mV 16 0 \(signal.first ?? 0) \(checksum) 0 \(lead)\n"
        }
        header += "# digitised by ECGLens from a report page; rhythm strip: \(rhythm.name)\n"
        return (header, data)
    }
}
