import Digitise
import Foundation
import ReportFormat
import Synth
import Testing

/// The digitisation benchmark (opt-in: ECG_DIGITISE_BENCH=1; ECG_DIGITISE_BENCH_PAGES pages per
/// condition, default 200): SNR and correlation per lead against the generator's signals over
/// synthetic pages at the reports' resolution, clean, with photometric artefacts, and with the
/// page rotated or seen in perspective. Prints a table; asserts only that clean pages are read.
@Suite("Digitisation benchmark", .enabled(if: ProcessInfo.processInfo.environment["ECG_DIGITISE_BENCH"] == "1"))
struct DigitiseBenchmark {
    @Test("SNR and correlation per lead over many synthetic pages")
    func benchmark() throws {
        let count = Int(ProcessInfo.processInfo.environment["ECG_DIGITISE_BENCH_PAGES"] ?? "") ?? 200
        let conditions: [(String, Set<ArtefactKind>)] = [
            ("clean", []), ("photometric (shadow, blur, jpeg, grid colour, texture)", [.shadow, .blur, .jpeg, .gridColour, .texture]),
            ("geometric (rotation, perspective)", [.rotation, .perspective]),
        ]
        for (name, artefacts) in conditions {
            var snr: [String: [Double]] = [:], correlation: [String: [Double]] = [:]
            var refused: [String: Int] = [:]
            let start = Date()
            for index in 0..<count {
                let label = ECGClass.allCases[index % 4]
                do {
                    let page = try DigitisedPage.make(label, index: index, seed: 2024,
                                                      options: PageOptions(width: 1106, height: 786, artefacts: artefacts))
                    for (k, score) in page.scores().enumerated() {
                        let lead = k == 12 ? "rhythm" : score.lead
                        snr[lead, default: []].append(score.snr)
                        correlation[lead, default: []].append(score.correlation)
                    }
                } catch let error as DigitiseError {
                    let kind = "\(error)".prefix { $0 != ":" }
                    refused[String(kind), default: 0] += 1
                }
            }
            let read = snr["I"]?.count ?? 0
            print("\n== \(name): \(read) of \(count) pages read in \(String(format: "%.0f", Date().timeIntervalSince(start))) s; refused: \(refused)")
            print("lead     mean SNR  median SNR  mean r  median r")
            for lead in ReportGeometry.leads + ["rhythm"] {
                guard let s = snr[lead], let r = correlation[lead], !s.isEmpty else { continue }
                let finite = s.map { min($0, 60) }
                print(String(format: "%-7@ %9.1f %11.1f %7.3f %9.3f", lead as NSString, finite.reduce(0, +) / Double(s.count), median(finite),
                             r.reduce(0, +) / Double(r.count), median(r)))
            }
            let all = snr.values.flatMap { $0 }.map { min($0, 60) }, allR = correlation.values.flatMap { $0 }
            if !all.isEmpty {
                print(String(format: "all     %9.1f %11.1f %7.3f %9.3f", all.reduce(0, +) / Double(all.count), median(all),
                             allR.reduce(0, +) / Double(allR.count), median(allR)))
            }
            if artefacts.isEmpty { #expect(read == count) }
        }
    }
}
