import ArgumentParser
import Checkpoints
import Datasets
import Evaluation
import Foundation
import Inference
import Models

extension ECG {
    /// `ecg calibrate MODEL --data DIR`: temperature scaling fitted on a validation split.
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit temperature scaling on a validation split and store it in the model's weights file.",
            discussion: """
                Classifies every image under DIR/<class>/ (the validation split Data/validation made by \
                `ecg split`; never the test split), each distinct picture once, and fits the temperature T \
                that minimises the negative log-likelihood of the true classes (Guo et al. 2017). It then \
                chooses the uncertainty threshold: the smallest calibrated top probability (0.30, 0.35, ... \
                0.95) at which the answers kept as confident are right at least --target-accuracy of the time \
                (answers whose top two classes are within 0.10 count as uncertain too). Both are written into \
                the weights file's metadata; the tensors are copied byte for byte. Prints the expected \
                calibration error before and after.
                """)

        @Argument(help: ArgumentHelp("The model's key (see `ecg models`).", valueName: "model"))
        var model: String

        @Option(help: ArgumentHelp("The validation set: a folder with one sub-folder of images per class.", valueName: "dir"))
        var data: String

        @Option(help: "How often the answers kept as confident must be right on the validation images.")
        var targetAccuracy = 0.9

        @Option(help: "Images per forward pass.")
        var batchSize = 8

        @Flag(help: "Print the fit without writing it.")
        var dryRun = false

        @Flag(help: "Print the fit as JSON.")
        var json = false

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard targetAccuracy > 0 && targetAccuracy <= 1 else { throw ValidationError("--target-accuracy must be in (0, 1]") }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            try failingCleanly {
                let entry = try registry.entry(model)
                let url = registry.weightsURL(entry)
                guard url.pathExtension == "safetensors" else {
                    throw CLIError("\(url.path): calibrate works on ECGLens .safetensors weights; convert it with `ecg import` first")
                }
                var classifier = try Classifier(entry: entry, registry: registry)
                guard classifier.trained else {
                    throw CLIError("\(url.path): the weights are untrained (random); train the model before calibrating it")
                }
                classifier.temperature = 1
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data), classes: classifier.classes)
                let bar = CountingProgressBar("classifying \(classifier.key)", total: folder.files.count, unit: "images")
                let (results, unreadable) = try Evaluator(classifier: classifier, batchSize: batchSize)
                    .run(on: folder) { done, _ in bar.update(done) }
                bar.finish()
                for image in unreadable { note("warning: \(data)/\(image.file): \(image.reason) (skipped)") }
                guard !results.isEmpty else { throw CLIError("\(data): none of the \(folder.files.count) images could be read") }

                let fit = TemperatureFit(results: results, targetAccuracy: targetAccuracy)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(fit), as: UTF8.self))
                } else {
                    print(summary(fit))
                }
                guard !dryRun else { return }
                var metadata = try WeightsMetadata(file: SafetensorsFile(contentsOf: url))
                metadata.temperature = fit.temperature
                metadata.uncertainBelow = fit.uncertainBelow
                try SafetensorsFile.replaceMetadata(metadata.dictionary, in: url)
                note("wrote temperature \(fit.temperature) and uncertain_below \(fit.uncertainBelow) into \(url.path) (tensors unchanged)")
            }
        }

        private func summary(_ fit: TemperatureFit) -> String {
            let pct = { (value: Double) in String(format: "%.1f %%", value * 100) }
            return [
                "\(model) on \(data): \(fit.imageCount) distinct images",
                String(format: "temperature T = %.3f", fit.temperature),
                "expected calibration error \(pct(fit.before.expectedCalibrationError)) before, \(pct(fit.after.expectedCalibrationError)) after",
                String(format: "log-loss %.3f before, %.3f after", fit.logLossBefore, fit.logLossAfter),
                "uncertain below a calibrated top probability of \(pct(fit.uncertainBelow)) (or top two within 10 points): "
                    + "\(pct(fit.confidentFraction)) of these images answered with confidence"
                    + (fit.confidentAccuracy.map { ", right \(pct($0)) of the time" } ?? ""),
            ].joined(separator: "\n")
        }
    }
}
