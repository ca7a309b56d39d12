import Digitise
import Foundation
import ImageIO
import Synth
import Testing

/// Prints the plausibility figures (`TraceQuality`) of pages read without the check, clean and
/// rotated/warped, to choose and re-check its thresholds (opt-in: ECG_DIGITISE_QUALITY_PROBE=1;
/// ECG_DIGITISE_BENCH_PAGES pages per condition, default 100, from page ECG_DIGITISE_BENCH_FIRST, default 0:
/// the thresholds were chosen on pages 0-99, so pages from 100 on check them on pages they were not chosen on).
@Suite("Trace quality probe", .enabled(if: ProcessInfo.processInfo.environment["ECG_DIGITISE_QUALITY_PROBE"] == "1"))
struct QualityProbe {
    @Test("quality figures and correlation with the truth, clean against rotated or warped pages")
    func probe() throws {
        let count = Int(ProcessInfo.processInfo.environment["ECG_DIGITISE_BENCH_PAGES"] ?? "") ?? 100
        for (name, artefacts) in [("clean", Set<ArtefactKind>()), ("photometric", [.shadow, .blur, .jpeg, .gridColour, .texture]),
                                  ("geometric", [.rotation, .perspective])] as [(String, Set<ArtefactKind>)] {
            var refusedBefore = 0, refusedByCheck = 0, passed = 0
            let first = Int(ProcessInfo.processInfo.environment["ECG_DIGITISE_BENCH_FIRST"] ?? "") ?? 0
            for index in first..<(first + count) {
                let page = try SyntheticPage.make(ECGClass.allCases[index % 4], seed: 2024, index: index,
                                                  options: PageOptions(width: 1106, height: 786, artefacts: artefacts))
                guard let ecg = try? Digitiser.digitise(ImageDecoder.decode(page.file), checkQuality: false) else { refusedBefore += 1; continue }
                let read = DigitisedPage(page: page, ecg: ecg)
                let r = median(read.scores().map(\.correlation))
                let q = ecg.quality
                if q.problem != nil { refusedByCheck += 1 } else { passed += 1 }
                print(String(format: "%@ %3d match %.3f drift %.3f coverage %.3f | median r %.3f %@", name, index, q.rhythmMatch,
                             q.baselineDrift, q.meanCoverage, r, q.problem == nil ? "pass" : "REFUSE"))
            }
            print("== \(name): \(count) pages, \(refusedBefore) refused before the check, \(refusedByCheck) by it, \(passed) passed")
        }
    }
}
