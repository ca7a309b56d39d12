import Determinism
import ArgumentParser
import Datasets
import Dispatch
import Foundation
import ImageIO
import Inference
import Tensors

extension ECG {
    /// `ecg gate-report --data Data/test --bank Data/gate-bank [--model KEY]`: how the input gate
    /// does on real pages and on non-ECG images, and how well turned pages are read upright.
    struct GateReport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gate-report",
            abstract: "Measure the input gate: real pages passed, non-ECG images refused, turned pages read upright.",
            discussion: """
                Runs the page check on every image under --data (real ECG pages, for example the test split \
                Data/test) and under --bank (non-ECG images, one sub-folder per kind, made by \
                tools/reference/make_gate_bank.py), and prints the pass rate, the refusal rate per kind, each \
                measurement's range on real pages, and every misjudged image. With --model it also turns each \
                real page by 90, 180 and 270 degrees and skews it by 5 degrees, and compares the model's \
                accuracy on the pages read upright by the gate with its accuracy on the originals (and on the \
                turned pages as they are, without the gate).
                """)

        @Option(help: ArgumentHelp("Real ECG pages: a folder with one sub-folder of images per class.", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp("Non-ECG images, in sub-folders by kind.", valueName: "dir"))
        var bank: String?

        @Option(name: .shortAndLong, help: "Also measure turned pages' accuracy with this model (see `ecg models`).")
        var model: String?

        @Option(help: "Use at most this many real pages (0: all).")
        var limit = 0

        @OptionGroup var registryOptions: RegistryOptions

        func run() throws {
            let gate = InputGate()
            try failingCleanly {
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data))
                let files = limit > 0 ? Array(folder.files.prefix(limit)) : folder.files
                let real = try files.map { file in (file, try decode(file.url)) }

                // Real pages: every one should pass.
                var verdicts: [InputGate.Verdict] = []
                let started = DispatchTime.now()
                for (_, image) in real { verdicts.append(gate.examine(image).verdict) }
                let perImage = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6 / Double(max(real.count, 1))
                let passed = verdicts.filter(\.accepted).count
                print("Real pages (\(data)): " + String(format: "%d of %d pass the gate (%.1f %%), %.1f ms per page",
                                                             passed, real.count, percent(passed, real.count), perImage))
                for ((file, _), verdict) in zip(real, verdicts) where !verdict.accepted {
                    print("  refused \(file.url.path): \(NotAnECGPage(verdict: verdict))")
                }
                printRanges(verdicts.map(\.measurements))

                // Photo-like copies: the real pages tilted, zoomed, shifted, relit, blurred and recompressed.
                var generator = SplitMix64(seed: 14)
                let photoLike = real.map { Self.photoLike.apply(to: $0.1, using: &generator) }
                let photoVerdicts = photoLike.map { gate.examine($0).verdict }
                let photoPassed = photoVerdicts.filter(\.accepted).count
                print(String(format: "Photo-like copies (±5°, ±8 %% zoom, ±25 %% contrast, blur, JPEG 30-90): %d of %d pass (%.1f %%)",
                             photoPassed, photoLike.count, percent(photoPassed, photoLike.count)))
                printFailedChecks(photoVerdicts)

                if let bank { try reportBank(bank, gate: gate) }
                if let model { try reportTurns(real.map { ($0.0.label, $0.1) }, classes: folder.classes, model: model, gate: gate) }
            }
        }

        /// Stronger changes than training's ``Augmentation/ecg``: what a phone photo of a page might add.
        static let photoLike = Augmentation(
            rotationDegrees: 5, scale: 0.08, translation: 0.04, brightness: 0.12, contrast: 0.25,
            blurProbability: 0.5, maxBlurSigma: 1.5, jpegProbability: 0.7, jpegQuality: 30...90)

        private func decode(_ url: URL) throws -> RGBImage {
            do {
                return try ImageDecoder.decode(Data(contentsOf: url))
            } catch {
                throw CLIError("\(url.path): \(error)")
            }
        }

        /// Each measurement's minimum, 1st percentile, median and maximum over the real pages.
        private func printRanges(_ measurements: [PageMeasurements]) {
            guard !measurements.isEmpty else { return }
            let thresholds = InputGate.Thresholds()
            let rows: [(String, [Double], String)] = [
                ("aspect", measurements.map { $0.landscape ? $0.aspect : 1 / $0.aspect }, "\(thresholds.aspect)"),
                ("grid", measurements.map(\.gridFraction), "\(thresholds.gridFraction)"),
                ("periodicity_x", measurements.map(\.periodicityX), ">= \(thresholds.periodicityX)"),
                ("periodicity_y", measurements.map(\.periodicityY), ">= \(thresholds.periodicityY)"),
                ("ink", measurements.map(\.inkFraction), "\(thresholds.inkFraction)"),
                ("trace_rows", measurements.map { Double($0.traceRows) }, ">= \(thresholds.traceRows)"),
            ]
            print("  measurement       min      p1  median     max   threshold")
            for (name, values, threshold) in rows {
                let sorted = values.sorted()
                let at = { (q: Double) in sorted[min(sorted.count - 1, Int(q * Double(sorted.count - 1)))] }
                print("  " + pad(name, 14) + String(format: " %7.4f %7.4f %7.4f %7.4f   ", sorted[0], at(0.01), at(0.5), sorted.last!) + threshold)
            }
        }

        /// How many refused images failed each check.
        private func printFailedChecks(_ verdicts: [InputGate.Verdict]) {
            var counts: [String: Int] = [:]
            for verdict in verdicts { for check in verdict.checks where !check.passed { counts[check.name, default: 0] += 1 } }
            guard !counts.isEmpty else { return }
            print("  failed checks: " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }

        /// The refusal rate on the non-ECG bank, per kind (sub-folder) and in all.
        private func reportBank(_ path: String, gate: InputGate) throws {
            let root = URL(fileURLWithPath: path)
            var total = 0, refused = 0
            var accepted: [String] = []
            print("Non-ECG bank (\(path)):")
            for (kind, urls) in try bankImages(root) {
                var kindRefused = 0
                for url in urls {
                    let verdict = gate.examine(try decode(url)).verdict
                    if verdict.accepted {
                        accepted.append("  accepted \(url.path) (\(verdict.orientation.summary))")
                    } else {
                        kindRefused += 1
                    }
                }
                print("  " + pad(kind, 12) + String(format: " %3d of %3d refused (%.1f %%)", kindRefused, urls.count, percent(kindRefused, urls.count)))
                total += urls.count
                refused += kindRefused
            }
            print(String(format: "  all          %3d of %3d refused (%.1f %%)", refused, total, percent(refused, total)))
            accepted.forEach { print($0) }
        }

        /// Accuracy on the originals, on turned and skewed copies read upright by the gate, and on
        /// the turned copies as they are; and how often the gate found the right turn.
        private func reportTurns(_ pages: [(label: Int, image: RGBImage)], classes: [String], model: String, gate: InputGate) throws {
            let registry = try registryOptions.registry()
            let classifier = try Classifier(entry: registry.entry(model), registry: registry)
            let labels = pages.map { classes[$0.label] }
            func accuracy(_ images: [RGBImage]) throws -> Double {
                var right = 0
                for start in stride(from: 0, to: images.count, by: 8) {
                    let batch = Array(images[start..<min(start + 8, images.count)])
                    for (offset, prediction) in try classifier.classify(batch).enumerated()
                    where prediction.predictedClass == labels[start + offset] { right += 1 }
                }
                return percent(right, images.count)
            }
            print("Turned pages, \(classifier.displayName) (\(pages.count) real pages):")
            print(String(format: "  originals as they are:          accuracy %5.1f %%", try accuracy(pages.map(\.image))))
            let cases: [(String, Int, Double)] = [("turned 90° clockwise", 1, 0), ("turned 180°", 2, 0),
                                                  ("turned 270° clockwise", 3, 0), ("skewed 5° counter-clockwise", 0, 5)]
            for (name, turns, skew) in cases {
                let turned = pages.map { page in
                    let image = page.image.rotatedClockwise(quarterTurns: turns)
                    return skew == 0 ? image : image.warped(angle: skew * .pi / 180, scale: 1, shiftX: 0, shiftY: 0, mirror: false)
                }
                let examined = turned.map { gate.examine($0) }
                let found = examined.filter { ($0.verdict.orientation.quarterTurns + turns) % 4 == 0 }.count
                let skewError = examined.map { abs($0.verdict.orientation.skewDegrees - skew) }.reduce(0, +) / Double(max(examined.count, 1))
                let passed = examined.filter(\.verdict.accepted).count
                print("  " + pad(name, 28) + String(
                    format: " upright found %5.1f %%, passed %5.1f %%, mean skew error %.2f°; accuracy read upright %5.1f %%, as they are %5.1f %%",
                    percent(found, pages.count), percent(passed, pages.count), skewError,
                    try accuracy(examined.map(\.image)), try accuracy(turned)))
            }
        }
    }
}

/// The images of a non-ECG bank (tools/reference/make_gate_bank.py): each kind's sub-folder and
/// its image files, sorted.
func bankImages(_ root: URL) throws -> [(kind: String, files: [URL])] {
    try ImageFolder.subfolders(of: root).map { kind in
        let folder = root.appendingPathComponent(kind, isDirectory: true)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            .filter { ImageFolder.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
        return (kind, names.map { folder.appendingPathComponent($0) })
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

private func percent(_ part: Int, _ whole: Int) -> Double {
    whole == 0 ? 0 : 100 * Double(part) / Double(whole)
}
