import ArgumentParser
import Foundation
import Synth

extension ECG {
    /// `ecg synth --out DIR --count N [--seed S] [--classes ...] [--artifacts ...]`.
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a labelled data set of synthetic 12-lead ECG report pages.",
            discussion: """
                Simulates 10-s, 12-lead ECGs (a moving-dipole model: normal sinus rhythm; acute myocardial \
                infarction with ST elevation in one territory; old infarction with Q waves or T inversion; \
                premature beats, atrial fibrillation, brady- or tachycardia, first-degree AV block) and prints \
                them as EDAN-style "ECG REPORT" pages: 3x4 leads of 2.5 s, a rhythm strip, 25 mm/s, 10 mm/mV. \
                Writes DIR/<class>/synthetic-<n>.png (or .jpg) with a JSON sidecar holding the label, every \
                random parameter and each lead's pixel box. The same seed gives the same pages. \
                Synthetic pages are for testing and research, not patient data. See docs/synth/README.md.
                """)

        @Option(help: ArgumentHelp("The folder to write the class folders into.", valueName: "dir"))
        var out: String

        @Option(help: "Pages per class.")
        var count: Int

        @Option(help: "Random seed; the same seed writes the same pages.")
        var seed: UInt64 = 0

        @Option(help: ArgumentHelp("Classes, comma-separated (default: all four).", valueName: "names"))
        var classes: String = ECGClass.allCases.map(\.rawValue).joined(separator: ",")

        @Option(help: ArgumentHelp(
            "Artefacts drawn at random per page, comma-separated, or `none` or `all`: \(ArtefactKind.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "kinds"))
        var artifacts: String = "none"

        @Option(help: "Signal noise as a multiple of typical levels (0 for none).")
        var noise: Double = 1

        @Option(help: "Image width in pixels.")
        var width: Int = 2213

        @Option(help: "Image height in pixels.")
        var height: Int = 1572

        @Option(help: ArgumentHelp("Save JPEGs of this quality (1-100) instead of PNGs; the reports are JPEG 90.", valueName: "q"))
        var jpegQuality: Int?

        @Option(help: "Pages rendered at once (at most 2).")
        var threads: Int = 2

        func validate() throws {
            guard count > 0 else { throw ValidationError("--count must be positive") }
            guard (64...8000).contains(width), (64...8000).contains(height) else {
                throw ValidationError("--width and --height must be between 64 and 8000 pixels")
            }
            guard noise >= 0, noise <= 20 else { throw ValidationError("--noise must be between 0 and 20") }
            guard (1...2).contains(threads) else { throw ValidationError("--threads must be 1 or 2") }
            if let jpegQuality, !(1...100).contains(jpegQuality) { throw ValidationError("--jpeg-quality must be in 1...100") }
            _ = try parsedClasses()
            _ = try parsedArtefacts()
        }

        func run() throws {
            let options = PageOptions(width: width, height: height, artefacts: try parsedArtefacts(), noiseScale: noise,
                                      jpegQuality: jpegQuality)
            let labels = try parsedClasses()
            let bar = ProgressBar(title: "synth")
            try failingCleanly {
                try SynthDataset.write(to: URL(fileURLWithPath: out), count: count, classes: labels, seed: seed,
                                       options: options, threads: threads) { done, total in bar.update(done, of: total) }
            }
            bar.finish()
            print("wrote \(count * labels.count) synthetic pages (\(labels.map(\.rawValue).joined(separator: ", "))) to \(out)")
        }

        private func parsedClasses() throws -> [ECGClass] {
            try classes.split(separator: ",").map { name in
                guard let label = ECGClass(rawValue: String(name)) else {
                    throw ValidationError("unknown class \(name) (known: \(ECGClass.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return label
            }
        }

        private func parsedArtefacts() throws -> Set<ArtefactKind> {
            switch artifacts {
            case "none", "": return []
            case "all": return Set(ArtefactKind.allCases)
            default:
                return Set(try artifacts.split(separator: ",").map { name in
                    guard let kind = ArtefactKind(rawValue: String(name)) else {
                        throw ValidationError("unknown artefact \(name) (known: \(ArtefactKind.allCases.map(\.rawValue).joined(separator: ", ")), none, all)")
                    }
                    return kind
                })
            }
        }
    }
}

/// A one-line progress bar on standard error, redrawn in place (`\r`) as pages are written.
private struct ProgressBar {
    let title: String

    func update(_ done: Int, of total: Int) {
        let width = 30, filled = total > 0 ? done * width / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\(title) \(bar) \(done)/\(total)".utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
