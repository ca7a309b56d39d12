import ArgumentParser
import Foundation
import ImageIO
import Inference

extension ECG {
    /// `ecg predict IMAGE... [--model KEY] [--json]`.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify ECG images (JPEG or PNG).",
            discussion: """
                Prints each image's predicted class and every class's probability. An uncertain answer (the \
                calibrated top probability below the model's threshold, or the top two classes within 10 points) \
                prints as "uncertain: A or B" with the two leading classes; --json gives "confidence": "low". \(researchNotice)
                """)

        @Argument(help: ArgumentHelp("Images to classify.", valueName: "image"))
        var images: [String]

        @Option(name: .shortAndLong, help: "The model's key (see `ecg models`); the registry's default when omitted.")
        var model: String?

        @Flag(help: "Print one JSON object per image instead of a table.")
        var json = false

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            if images.isEmpty { throw ValidationError("give at least one image") }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            try failingCleanly {
                let classifier = try Classifier(entry: registry.entry(model), registry: registry)
                var failures = 0
                for path in images {
                    do {
                        let data = try ImageFile.read(path)
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
            let answer = prediction.confidence(uncertainBelow: classifier.uncertainBelow) == .low
                ? "uncertain: \(prediction.leadingClasses.joined(separator: " or "))" : prediction.predictedClass
            var lines = ["\(path): \(answer)  [\(classifier.displayName)\(classifier.trained ? "" : ", UNTRAINED random weights")]"]
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
                let confidence: AnswerConfidence, leading_classes: [String]
                let probabilities: [String: Float], timings_ms: Prediction.Timings
            }
            let line = Line(
                image: path, model: classifier.key, trained: classifier.trained, prediction: prediction.predictedClass,
                confidence: prediction.confidence(uncertainBelow: classifier.uncertainBelow),
                leading_classes: prediction.leadingClasses,
                probabilities: Dictionary(uniqueKeysWithValues: zip(prediction.classes, prediction.probabilities)),
                timings_ms: prediction.timings)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(line), as: UTF8.self)
        }
    }
}

/// A one-line failure of a command.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
