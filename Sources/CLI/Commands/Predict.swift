import ArgumentParser
import Foundation
import ImageIO
import Inference

extension ECG {
    /// `ecg predict IMAGE... [--model KEY] [--json]`, or with `--output`, batch scoring of folders
    /// and list files (Predict+Batch.swift).
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify ECG images (JPEG or PNG), a few or a whole archive.",
            discussion: """
                Prints each image's predicted class and every class's probability. With --output, scores \
                folders (walked recursively) and list files (--list, one path per line) into a JSON lines or \
                CSV file, resumably and, with --shard or JOB_COMPLETION_INDEX, as one part of a job split over \
                several processes (`ecg merge-results` joins the parts).

                \(researchNotice)
                """)

        @Argument(help: ArgumentHelp("Images to classify; with --output, also folders to score.", valueName: "path"))
        var images: [String] = []

        @Option(name: .shortAndLong, help: "The model's key (see `ecg models`); the registry's default when omitted.")
        var model: String?

        @Flag(help: "Print one JSON object per image instead of a table.")
        var json = false

        @OptionGroup var batch: BatchOptions

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            if batch.output == nil {
                if images.isEmpty { throw ValidationError("give at least one image") }
                if let folder = images.first(where: isFolder) {
                    throw ValidationError("\(folder) is a folder: pass --output FILE to score folders in batch mode")
                }
                if !batch.lists.isEmpty || batch.shard != nil || batch.shardCount != nil {
                    throw ValidationError("--list, --shard and --shard-count need --output FILE (batch mode)")
                }
            } else {
                try batch.validate(inputs: images)
                if json { throw ValidationError("--json does not apply to batch mode: the output's format follows --format") }
            }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            if batch.output != nil {
                return try runBatch(registry: registry)
            }
            try failingCleanly {
                let classifier = try Classifier(entry: registry.entry(model), registry: registry)
                var failures = 0
                for path in images {
                    do {
                        guard let data = FileManager.default.contents(atPath: path) else {
                            throw CLIError("cannot read the file")
                        }
                        let prediction = try classifier.classify(imageData: data)
                        print(json ? try jsonLine(path, classifier, prediction) : table(path, classifier, prediction))
                    } catch {
                        failures += 1
                        FileHandle.standardError.write(Data("error: \(path): \(error)\n".utf8))
                    }
                }
                if !json { print(researchNotice) }
                if failures > 0 { throw ExitCode.failure }
            }
        }

        private func table(_ path: String, _ classifier: Classifier, _ prediction: Prediction) -> String {
            var lines = ["\(path): \(prediction.predictedClass)  [\(classifier.displayName)\(classifier.trained ? "" : ", UNTRAINED random weights")]"]
            for (name, p) in zip(prediction.classes, prediction.probabilities) {
                let bar = String(repeating: "█", count: Int((p * 30).rounded()))
                lines.append("  \(name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(String(format: "%6.2f%%", p * 100)) \(bar)")
            }
            lines.append(String(format: "  (%.1f ms preprocessing, %.1f ms inference)",
                                prediction.timings.preprocessMilliseconds, prediction.timings.inferenceMilliseconds))
            return lines.joined(separator: "\n")
        }

        private func jsonLine(_ path: String, _ classifier: Classifier, _ prediction: Prediction) throws -> String {
            struct Line: Encodable {
                let image: String, model: String, trained: Bool, prediction: String
                let probabilities: [String: Float], timings_ms: Prediction.Timings
            }
            let line = Line(
                image: path, model: classifier.key, trained: classifier.trained, prediction: prediction.predictedClass,
                probabilities: Dictionary(uniqueKeysWithValues: zip(prediction.classes, prediction.probabilities)),
                timings_ms: prediction.timings)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(line), as: UTF8.self)
        }
    }
}

/// Whether `path` is an existing folder.
func isFolder(_ path: String) -> Bool {
    var folder: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
}

/// A one-line failure of a command.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
