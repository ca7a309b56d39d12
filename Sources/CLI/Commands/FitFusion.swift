import ArgumentParser
import Checkpoints
import Datasets
import Evaluation
import Foundation
import Inference
import Models
import Tensors
import Training

extension ECG {
    /// `ecg fit-fusion`: fit ECGLens's own model, the image network's features and the page's trace
    /// measurements fused, and write its weights file (the heads; the backbone stays in its own file).
    struct FitFusion: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit-fusion",
            abstract: "Fit the fused image + trace model (ecglens) on cached features and write its weights.",
            discussion: """
                Fits two class-balanced linear heads on the training and validation files of an `ecg split` \
                record, each distinct image once: one on --image-features (MobileNetV2's frozen global-average \
                features, `ecg features --model mobilenetv2`), one on --trace-features (`ecg features --kind \
                trace`). Served, their probabilities are fused by the weighted geometric mean \
                p ~ p_image^w * p_trace^(1-w) (docs/accuracy.md section 7). The temperature that calibrates the \
                fused probabilities is fitted on out-of-fold fused predictions of the same files (grouped \
                --folds, as `ecg cv` makes them), and those predictions' figures are written to --report. \
                Writes --out with the image head in MobileNetV2's Dense head, the trace head, and a check that \
                ties it to --backbone, whose weights it reuses (a registry entry names both: `weights` and \
                `backbone`). The test files are never read. \(researchNotice)
                """)

        @Option(help: ArgumentHelp("The data set the caches were computed from (one folder per class).", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp("MobileNetV2 feature cache (`ecg features --model mobilenetv2`) computed with --backbone.", valueName: "file"))
        var imageFeatures: String

        @Option(help: ArgumentHelp("Trace feature cache (`ecg features --kind trace`) of the same folder.", valueName: "file"))
        var traceFeatures: String

        @Option(help: ArgumentHelp("The `ecg split` record (split.json) whose training and validation files to fit on.", valueName: "file"))
        var split: String

        /// The folds of the out-of-fold predictions the temperature is fitted on.
        @OptionGroup var foldOptions: FoldOptions

        @Option(help: "L2 penalty of the image head (on standardised features; the default is the recipe chosen by `ecg cv` on the training and validation images).")
        var imageL2 = 0.3

        @Option(help: "L2 penalty of the trace head.")
        var traceL2 = 0.1

        @Option(help: "The image head's weight w in the fused probabilities (the trace head's is 1 - w).")
        var imageWeight = 0.2

        @Option(help: ArgumentHelp("The MobileNetV2 weights whose backbone computed --image-features.", valueName: "file"))
        var backbone = "models/trained/mobilenetv2.safetensors"

        @Option(help: ArgumentHelp("Where to write the fused model's weights.", valueName: "file"))
        var out = "models/trained/ecglens.safetensors"

        @Option(help: ArgumentHelp("Where to write the out-of-fold figures (evaluation.json, evaluation.md, report.html).", valueName: "dir"))
        var report = "evaluation/ecglens-fit"

        func validate() throws {
            guard imageL2 > 0, traceL2 > 0 else { throw ValidationError("--image-l2 and --trace-l2 must be positive") }
            guard (0...1).contains(imageWeight) else { throw ValidationError("--image-weight must be in 0...1") }
        }

        func run() throws {
            try failingCleanly {
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data))
                let paths = folder.files.map { "\(folder.classes[$0.label])/\($0.url.lastPathComponent)" }
                let image = try cache(imageFeatures, paths: paths, classes: folder.classes)
                let trace = try cache(traceFeatures, paths: paths, classes: folder.classes)
                guard image.source.architecture == Architecture.mobileNetV2.rawValue else {
                    throw CLIError("\(imageFeatures) holds \(image.source.architecture) features, not mobilenetv2's")
                }
                guard trace.source.architecture == TraceFeatures.method, trace.source.weights == TraceFeatures.version,
                      trace.source.featureNames == TraceFeatures.featureNames else {
                    throw CLIError("\(traceFeatures) is not a \(TraceFeatures.version) trace cache; rerun `ecg features --kind trace`")
                }
                let backboneURL = URL(fileURLWithPath: backbone)
                guard let backboneBytes = FileManager.default.contents(atPath: backboneURL.path) else {
                    throw CLIError("\(backbone): cannot read the backbone weights")
                }
                guard SHA256.hex(backboneBytes) == image.source.weightsSHA256 else {
                    throw CLIError("\(imageFeatures) was computed from other weights than \(backbone); rerun `ecg features`")
                }
                let training = try GroupedFolds.splitRows(split, paths: paths, data: data).training
                let grouped = try foldOptions.grouped(folder: folder, fingerprints: image.fingerprints, rows: training)
                note(grouped.summary + "; test files of \(split) left out")

                let start = Date()
                let imageRecipe = HeadRecipe(pooling: .average, l2: imageL2), traceRecipe = HeadRecipe(pooling: .average, l2: traceL2)
                let fit = FusionFit(image: image, trace: trace, rows: training, folds: grouped.folds, imageOfRow: grouped.imageOfRow,
                                    imageRecipe: imageRecipe, traceRecipe: traceRecipe, imageWeight: imageWeight)
                guard fit.imageHead.converged, fit.traceHead.converged else {
                    throw CLIError("a head did not converge; raise --image-l2 or --trace-l2")
                }
                let fusion = try fit.traceFusion(featureNames: trace.source.featureNames ?? [], imageWeight: imageWeight)
                let images = Set(training.map { grouped.imageOfRow[$0] }).count
                try write(fit, fusion: fusion, images: images, files: training.count)

                let source = HeadCrossValidation.fusedSource(image.source, trace.source, recipeB: traceRecipe, weight: imageWeight)
                let calibrated = fit.outOfFold.map { $0.scaled(by: fit.calibration.temperature) }
                let evaluation = HeadCrossValidation.report(
                    source: source, classes: folder.classes, recipe: imageRecipe, folds: grouped.folds, results: calibrated,
                    bootstrap: Bootstrap(resamples: 1000, seed: foldOptions.seed), seconds: Date().timeIntervalSince(start), notice: researchNotice)
                let directory = URL(fileURLWithPath: report)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try evaluation.json().write(to: directory.appendingPathComponent("evaluation.json"), options: .atomic)
                try Data(evaluation.markdown().utf8).write(to: directory.appendingPathComponent("evaluation.md"), options: .atomic)
                try Data(evaluation.html().utf8).write(to: directory.appendingPathComponent("report.html"), options: .atomic)
                let c = fit.calibration
                print(CrossValidationOutcome(features: source, recipe: imageRecipe, report: evaluation).line)
                print(String(format: "temperature %.3f (out-of-fold ECE %.1f %% -> %.1f %%, log loss %.3f -> %.3f); uncertain below %.2f",
                             c.temperature, 100 * c.before.expectedCalibrationError, 100 * c.after.expectedCalibrationError,
                             c.logLossBefore, c.logLossAfter, c.uncertainBelow))
                print("fitted on \(images) distinct images (\(training.count) files); wrote \(out) and \(report)/")
            }
        }

        /// A feature cache of exactly `paths`.
        private func cache(_ path: String, paths: [String], classes: [String]) throws -> FeatureCache {
            let cache = try FeatureCache(contentsOf: URL(fileURLWithPath: path))
            guard cache.files == paths, cache.classes == classes else {
                throw CLIError("\(path) was not computed from \(data)'s files (rerun `ecg features`)")
            }
            return cache
        }

        /// Writes the image head (into MobileNetV2's Dense head), the trace head and the metadata.
        private func write(_ fit: FusionFit, fusion: TraceFusion, images: Int, files: Int) throws {
            let backboneFile = try SafetensorsFile(contentsOf: URL(fileURLWithPath: backbone))
            var metadata = try WeightsMetadata(file: backboneFile)
            guard metadata.architecture == .mobileNetV2,
                  let hidden = backboneFile.info("dense/kernel")?.shape.last else {
                throw CLIError("\(backbone) is not a MobileNetV2 with a Dense head")
            }
            let head = try fit.imageHead.denseHead(hiddenUnits: hidden)
            let stored = try fusion.stored()
            let tensors: [(name: String, tensor: Tensor)] = [
                ("dense/kernel", head.kernel), ("dense/bias", head.bias),
                ("dense_1/kernel", head.outputKernel), ("dense_1/bias", head.outputBias),
            ] + stored.tensors
            let command = (["ecg"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            metadata.provenance = "ECGLens ecg fit-fusion: image head (avg, l2 \(imageL2)) on frozen MobileNetV2 features "
                + "and trace head (l2 \(traceL2)) on \(TraceFeatures.version) measurements, fused with image weight \(imageWeight), "
                + "fitted on the train and validation files of \(URL(fileURLWithPath: split).lastPathComponent) (\(files) files, "
                + "\(images) distinct images); temperature from \(foldOptions.folds)-fold out-of-fold predictions; command: \(command)"
            metadata.trained = true
            metadata.temperature = fit.calibration.temperature
            metadata.uncertainBelow = fit.calibration.uncertainBelow
            var strings = metadata.dictionary.merging(stored.metadata) { _, new in new }
            strings[BackboneCheck.key] = try BackboneCheck.fingerprint(backbone: backboneFile, excluding: Set(tensors.map(\.name)))
            try SafetensorsFile.write(tensors, metadata: strings, to: URL(fileURLWithPath: out))
        }
    }
}
