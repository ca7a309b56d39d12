import ArgumentParser
import Datasets
import Dispatch
import Evaluation
import Foundation
import ImageIO
import Inference
import Kernels

extension ECG {
    /// `ecg evaluate MODEL --data DIR`: a model's metrics on a labelled data set, as a table,
    /// `evaluation.json`, `evaluation.md` and a self-contained `report.html`.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model on a labelled data set (one folder per class).",
            discussion: """
                Classifies every image under DIR/<class>/ (for example the test split Data/test made by \
                `ecg split`) and reports accuracy, macro-F1, per-class precision, recall, F1 and support with \
                percentile-bootstrap 95% intervals, the confusion matrix, expected calibration error with a \
                reliability diagram, and log-loss. Writes OUT/evaluation.json, OUT/evaluation.md (a Markdown \
                table for model cards) and OUT/report.html (inline SVG plots, no external resources, and the \
                misclassified files). A model calibrated by `ecg calibrate` is measured with its calibrated \
                probabilities, and the calibration error before temperature scaling is reported too. Each distinct picture counts once: copies and near duplicates (found as \
                `ecg split` finds them) are merged, so the bootstrap resamples independent images. \
                Unreadable images are reported and skipped, and make the exit status 1. \(researchNotice)
                """)

        @Argument(help: ArgumentHelp("The model's key (see `ecg models`).", valueName: "model"))
        var model: String

        @Option(help: ArgumentHelp("The data set: a folder with one sub-folder of images per class.", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp(
            "Where to write evaluation.json, evaluation.md and report.html.",
            discussion: "Defaults to evaluation/MODEL-crop or evaluation/MODEL-full-page (with -bf16 or -int8 after it in those precisions).", valueName: "dir"))
        var out: String?

        @Option(help: ArgumentHelp("Bootstrap resamples for the confidence intervals (0: none).", valueName: "n"))
        var bootstrap = 1000

        @Option(help: "Seed of the bootstrap's random generator.")
        var seed: UInt64 = 0

        @Flag(inversion: .prefixedNo, help: ArgumentHelp(
            "Crop to the ECG trace (the model's crop box, else the standard trace box), or read the whole page.",
            discussion: "Without either flag, the model's own setting is used."))
        var crop: Bool?

        @Option(help: ArgumentHelp("Crop to this box instead: page fractions left,top,right,bottom.", valueName: "l,t,r,b"))
        var cropBox: String?

        @Option(help: ArgumentHelp("The trainer's JSON-lines log, for training curves in the report.", valueName: "file"))
        var trainingLog: String?

        @Option(help: "Images per forward pass.")
        var batchSize = 8

        @Option(help: ArgumentHelp(
            "What the convolutions multiply in: fp32, bf16 (AVX-512 BF16) or int8 (AVX-512 VNNI; on any CPU, slowly, with ECG_KERNELS=portable).",
            discussion: "Without it, the model's registry entry decides (fp32 unless it sets \"precision\"). A precision the CPU lacks runs in fp32, with a note. A bf16 or int8 run also runs the model in fp32 on the same files and reports how far the answers moved (macro-F1 and accuracy change, largest probability change, answers changed)."))
        var precision: Precision?

        @Option(help: ArgumentHelp(
            "For int8: the calibration file (`ecg calibrate-int8`) that says which layers run in int8, instead of the registry entry's.",
            valueName: "file"))
        var int8Calibration: String?

        @Option(help: "Equal-width confidence bins for the calibration error and reliability diagram.")
        var calibrationBins = 10

        @Flag(help: ArgumentHelp(
            "Count every file, copies of one picture included.",
            discussion: "By default each distinct picture counts once (identical files and near duplicates merged)."))
        var countDuplicates = false

        @Flag(help: "Print evaluation.json to standard output instead of the table.")
        var json = false

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            guard bootstrap >= 0 else { throw ValidationError("--bootstrap must not be negative") }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard calibrationBins > 0 else { throw ValidationError("--calibration-bins must be positive") }
            if let cropBox {
                guard CropBox(cropBox) != nil else {
                    throw ValidationError("--crop-box needs left,top,right,bottom fractions with 0 <= left < right <= 1 and 0 <= top < bottom <= 1")
                }
                guard crop == nil else { throw ValidationError("give --crop-box or --crop/--no-crop, not both") }
            }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            var failed = false
            try failingCleanly {
                let log = try trainingLog.map { try readTrainingLog(URL(fileURLWithPath: $0)) }
                var entry = try registry.entry(model)
                entry.precision = precision ?? entry.precision
                if let int8Calibration { entry.int8Calibration = URL(fileURLWithPath: int8Calibration).path }
                var classifier = try Classifier(entry: entry, registry: registry)
                if let note = classifier.precisionNote { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
                classifier.input.crop = chosenCrop(modelCrop: classifier.input.crop)
                // Classify uncalibrated, then scale: the report shows the calibration before and after.
                let temperature = classifier.temperature
                classifier.temperature = 1
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data), classes: classifier.classes)
                if let all = try? ImageFolder(directory: folder.directory) {
                    for name in all.classes where !folder.classes.contains(name) {
                        FileHandle.standardError.write(Data("warning: \(data)/\(name) skipped: not one of \(classifier.key)'s classes\n".utf8))
                    }
                }

                let bar = CountingProgressBar("evaluating \(classifier.key)", total: folder.files.count, unit: "images")
                let start = DispatchTime.now()
                let (results, unreadable) = try Evaluator(classifier: classifier, batchSize: batchSize)
                    .run(on: folder) { done, _ in bar.update(done) }
                bar.finish()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                for image in unreadable {
                    FileHandle.standardError.write(Data("error: \(data)/\(image.file): \(image.reason)\n".utf8))
                }
                guard !results.isEmpty else { throw CLIError("\(data): none of the \(folder.files.count) images could be read") }

                var report = EvaluationReport(
                    model: .init(classifier), classes: classifier.classes, data: data,
                    results: results.map { $0.scaled(by: temperature) }, unreadable: unreadable,
                    bootstrap: Bootstrap(resamples: bootstrap, seed: seed), calibrationBins: calibrationBins,
                    countDuplicates: countDuplicates, seconds: seconds, trainingLog: log, notice: researchNotice)
                if classifier.precision != .fp32 {
                    report.precisionChange = try fp32Change(entry: entry, registry: registry, crop: classifier.input.crop,
                                                            folder: folder, report: report, temperature: temperature)
                }
                if temperature != 1 {
                    report.temperature = temperature
                    report.calibrationBeforeScaling = EvaluationReport(
                        model: .init(classifier), classes: classifier.classes, data: data, results: results, unreadable: [],
                        bootstrap: Bootstrap(resamples: 0, seed: seed), calibrationBins: calibrationBins,
                        countDuplicates: countDuplicates, seconds: seconds, notice: researchNotice).calibration
                }
                let precisionSuffix = classifier.precision == .fp32 ? "" : "-\(classifier.precision)"
                let directory = URL(fileURLWithPath: out ?? "evaluation/\(classifier.key)-\(classifier.input.crop == nil ? "full-page" : "crop")\(precisionSuffix)")
                let json = try report.json()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try json.write(to: directory.appendingPathComponent("evaluation.json"), options: .atomic)
                try Data(report.html().utf8).write(to: directory.appendingPathComponent("report.html"), options: .atomic)
                try Data(report.markdown().utf8).write(to: directory.appendingPathComponent("evaluation.md"), options: .atomic)
                if self.json {
                    print(String(decoding: json, as: UTF8.self))
                } else {
                    print(report.summary())
                    print("wrote evaluation.json, evaluation.md and report.html to \(directory.path)")
                }
                failed = !unreadable.isEmpty
            }
            if failed { throw ExitCode.failure }
        }

        /// For a bf16 or int8 run: the same model, crop and files in fp32, compared file by file
        /// with `report` (`PrecisionChange`).
        private func fp32Change(
            entry: ModelEntry, registry: ModelRegistry, crop: CropBox?, folder: ImageFolder, report: EvaluationReport,
            temperature: Double
        ) throws -> PrecisionChange {
            var fp32Entry = entry
            fp32Entry.precision = .fp32
            var classifier = try Classifier(entry: fp32Entry, registry: registry)
            classifier.input.crop = crop
            classifier.temperature = 1
            let bar = CountingProgressBar("fp32, to compare", total: folder.files.count, unit: "images")
            let (results, _) = try Evaluator(classifier: classifier, batchSize: batchSize).run(on: folder) { done, _ in bar.update(done) }
            bar.finish()
            let fp32 = EvaluationReport(
                model: .init(classifier), classes: classifier.classes, data: data, results: results.map { $0.scaled(by: temperature) },
                unreadable: [], bootstrap: Bootstrap(resamples: 0, seed: seed), calibrationBins: calibrationBins,
                countDuplicates: countDuplicates, seconds: 0, notice: researchNotice)
            return PrecisionChange(precision: report.model.precision ?? "", report: report, fp32: fp32)
        }

        /// The crop the flags ask for; `modelCrop` when they ask for nothing.
        private func chosenCrop(modelCrop: CropBox?) -> CropBox? {
            if let cropBox { return CropBox(cropBox) }
            switch crop {
            case nil: return modelCrop
            case true?: return modelCrop ?? .ecgTrace
            case false?: return nil
            }
        }
    }
}
