import Digitise
import Foundation
import ReportFormat
import Synth
import Testing

@Suite("CSV and WFDB records of a digitised page")
struct RecordTests {
    @Test("the WFDB header and format-16 samples agree with the CSV, blank outside each panel")
    func wfdbMatchesCSV() throws {
        let page = try DigitisedPage.make(.normal, index: 5)
        let (header, data) = page.ecg.wfdbRecord(name: "page")
        let lines = header.split(separator: "\n")
        #expect(lines[0] == "page 12 500 5000")
        #expect(lines[1].hasPrefix("page.dat 16 1000/mV 16 0 ") && lines[1].hasSuffix(" I"))
        #expect(data.count == 12 * 5000 * 2)
        let csv = page.ecg.csv().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(csv[0] == "time_s,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6")
        // Sample 3000 (6 s): only the third column's leads (V1-V3) and the rhythm strip's lead are shown.
        let cells = csv[1 + 3000].split(separator: ",", omittingEmptySubsequences: false)
        for (k, lead) in ReportGeometry.leads.enumerated() {
            let shown = ["V1", "V2", "V3", page.ecg.rhythm.name].contains(lead)
            #expect(cells[k + 1].isEmpty == !shown, "\(lead) at 6 s")
            let stored = Int16(bitPattern: UInt16(data[(3000 * 12 + k) * 2]) | UInt16(data[(3000 * 12 + k) * 2 + 1]) << 8)
            if shown {
                #expect(abs(Double(stored) / 1000 - Double(cells[k + 1])!) < 0.00056)
            } else {
                #expect(stored == Int16.min)
            }
        }
    }

    /// Opt-in (ECG_WFDB_CHECK=1): the record read by the reference reader, Python's `wfdb`, through
    /// tools/reference/check_wfdb.py; ECG_PYTHON names the interpreter that has `wfdb` (default python3).
    @Test("the reference WFDB reader reads the record as the CSV says",
          .enabled(if: ProcessInfo.processInfo.environment["ECG_WFDB_CHECK"] == "1"))
    func referenceReader() throws {
        let page = try DigitisedPage.make(.myocardialInfarction, index: 5)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ecg-wfdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (header, data) = page.ecg.wfdbRecord(name: "page")
        try Data(header.utf8).write(to: folder.appendingPathComponent("page.hea"))
        try data.write(to: folder.appendingPathComponent("page.dat"))
        try Data(page.ecg.csv().utf8).write(to: folder.appendingPathComponent("page.csv"))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/reference/check_wfdb.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["ECG_PYTHON"] ?? "python3", script.path,
                             folder.appendingPathComponent("page").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(text)
        #expect(process.terminationStatus == 0, "\(text)")
    }
}
