import ArgumentParser
import Datasets
import Foundation
import ImageIO
import Inference

extension ECG {
    /// `ecg fit-gate MODEL --data Data`: the novelty half of the input gate, fitted on the model's
    /// own features and stored next to its weights.
    struct FitGate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit-gate",
            abstract: "Fit the novelty check (Mahalanobis distance on the model's features) and store it next to the weights.",
            discussion: """
                Reads DIR/train, DIR/validation and, when present, DIR/test (each with one sub-folder of images per \
                class, as `ecg split` makes them). Every page goes through the page check (turned upright), then \
                through the model, which gives its penultimate features (the input of its last layer). The class \
                means and the Ledoit-Wolf shrunk shared covariance of the training pages' features make the novelty \
                model; an image's score is its Mahalanobis distance to the nearest class mean. The threshold is \
                the smallest distance that --target-pass of the validation pages lie within. Prints the pass rate \
                on the test split and, with --bank (non-ECG images in sub-folders by kind, made by \
                tools/reference/make_gate_bank.py), the share of those images the novelty check refuses on its own. \
                Writes WEIGHTS.gate.safetensors next to the weights (e.g. models/trained/small_cnn.gate.safetensors).
                """)

        @Argument(help: ArgumentHelp("The model's key (see `ecg models`).", valueName: "model"))
        var model: String

        @Option(help: ArgumentHelp("The split: a folder with train/, validation/ and test/ sub-folders.", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp("Non-ECG images, in sub-folders by kind, to measure refusals on.", valueName: "dir"))
        var bank: String?

        @Option(help: "The share of validation pages that must pass.")
        var targetPass = 0.99

        @Option(help: "Images per forward pass.")
        var batchSize = 8

        @Flag(help: "Print the fit without writing it.")
        var dryRun = false

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard targetPass > 0 && targetPass <= 1 else { throw ValidationError("--target-pass must be in (0, 1]") }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            try failingCleanly {
                let entry = try registry.entry(model)
                let classifier = try Classifier(entry: entry, registry: registry, loadingNovelty: false)
                guard classifier.trained else {
                    throw CLIError("\(registry.weightsURL(entry).path): the weights are untrained (random); train the model first")
                }
                guard let layer = classifier.network.penultimate?.penultimateLayer else {
                    throw CLIError("\(classifier.displayName) gives no penultimate features: its novelty check cannot be fitted yet")
                }
                let root = URL(fileURLWithPath: data)
                let train = try features(of: root.appendingPathComponent("train"), classifier)
                let validation = try features(of: root.appendingPathComponent("validation"), classifier)

                let estimate = try NoveltyModel.estimate(
                    features: train.rows, labels: train.labels, classCount: classifier.classes.count)
                let unscaled = try NoveltyModel(estimate: estimate, classes: classifier.classes, featureLayer: layer, threshold: 1)
                let distances = validation.rows.map { unscaled.score($0[...]).distance }
                let threshold = NoveltyModel.threshold(passing: targetPass, of: distances)
                var facts = [
                    "shrinkage": String(format: "%.4f", estimate.shrinkage),
                    "train_images": String(train.rows.count), "validation_images": String(validation.rows.count),
                    "target_pass": String(targetPass),
                    "validation_pass": rate(distances.filter { $0 <= threshold }.count, of: distances.count),
                    "command": "ecg fit-gate \(model) --data DATA",
                ]
                print("\(classifier.key): \(train.rows.count) training pages, \(estimate.counts) per class, "
                      + "\(classifier.network.penultimate!.penultimateWidth) features from `\(layer)`, "
                      + String(format: "Ledoit-Wolf shrinkage %.3f", estimate.shrinkage))
                print(String(format: "threshold %.2f: %@ of %d validation pages pass (target %.1f %%); their distances %.2f to %.2f",
                             threshold, facts["validation_pass"]!, distances.count, targetPass * 100,
                             distances.min() ?? 0, distances.max() ?? 0))
                let fitted = try NoveltyModel(estimate: estimate, classes: classifier.classes, featureLayer: layer,
                                              threshold: threshold, facts: facts)

                let testFolder = root.appendingPathComponent("test")
                if FileManager.default.fileExists(atPath: testFolder.path) {
                    let test = try features(of: testFolder, classifier)
                    let scores = test.rows.map { fitted.score($0[...]) }
                    let passed = scores.filter(\.accepted).count
                    facts["test_pass"] = rate(passed, of: scores.count)
                    print("test split: \(facts["test_pass"]!) pass (\(passed) of \(scores.count) pages); "
                          + String(format: "distances %.2f to %.2f", scores.map(\.distance).min() ?? 0, scores.map(\.distance).max() ?? 0))
                    for (file, score) in zip(test.files, scores) where !score.accepted {
                        print(String(format: "  refused %@ (distance %.2f)", file.path, score.distance))
                    }
                }
                if let bank { facts["bank_refused"] = try reportBank(URL(fileURLWithPath: bank), fitted, classifier) }

                guard !dryRun else { return }
                let url = registry.noveltyURL(entry)
                let stored = try NoveltyModel(classes: fitted.classes, featureLayer: layer, means: fitted.means,
                                              whitening: fitted.whitening, threshold: threshold, facts: facts)
                try stored.write(to: url, network: classifier.network)
                note("wrote the novelty check to \(url.path)")
            }
        }

        /// The penultimate features of every image under `folder`'s class sub-folders, after the page check.
        private func features(of folder: URL, _ classifier: Classifier) throws -> (rows: [[Float]], labels: [Int], files: [URL]) {
            let images = try ImageFolder(directory: folder, classes: classifier.classes)
            let rows = try features(of: images.files.map(\.url), classifier, label: folder.lastPathComponent)
            return (rows, images.files.map(\.label), images.files.map(\.url))
        }

        /// Decodes each file, turns it upright with the page check, and runs the network on batches.
        private func features(of files: [URL], _ classifier: Classifier, label: String) throws -> [[Float]] {
            let gate = InputGate()
            let bar = CountingProgressBar("features of \(label)", total: files.count, unit: "images")
            var rows: [[Float]] = []
            for start in stride(from: 0, to: files.count, by: batchSize) {
                let batch = try files[start..<min(start + batchSize, files.count)].map { url in
                    do {
                        return gate.examine(try classifier.decode(Data(contentsOf: url))).image
                    } catch {
                        throw CLIError("\(url.path): \(error)")
                    }
                }
                rows += try classifier.penultimateFeatures(batch)
                bar.update(rows.count)
            }
            bar.finish()
            return rows
        }

        /// The novelty check's refusals on the non-ECG bank, per kind and in all (on its own: the
        /// page check refuses these images first in practice).
        private func reportBank(_ root: URL, _ model: NoveltyModel, _ classifier: Classifier) throws -> String {
            var total = 0, refused = 0
            print("non-ECG bank \(root.path), refused by the novelty check alone:")
            for (kind, files) in try bankImages(root) {
                let scores = try features(of: files, classifier, label: kind).map { model.score($0[...]) }
                let kindRefused = scores.filter { !$0.accepted }.count
                print("  \(kind): \(kindRefused) of \(files.count) refused"
                      + String(format: " (distances %.1f to %.1f)", scores.map(\.distance).min() ?? 0, scores.map(\.distance).max() ?? 0))
                total += files.count
                refused += kindRefused
            }
            let summary = rate(refused, of: total)
            print("  all: \(refused) of \(total) refused (\(summary))")
            return summary
        }

        private func rate(_ part: Int, of whole: Int) -> String {
            String(format: "%.1f %%", whole == 0 ? 0 : 100 * Double(part) / Double(whole))
        }
    }
}
