import ArgumentParser
import Dispatch
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
                Prints each image's predicted class and every class's probability. An uncertain answer (the \
                calibrated top probability below the model's threshold, or the top two classes within 10 points) \
                prints as "uncertain: A or B" with the two leading classes; --json gives "confidence": "low". Each \
                image first passes a page check: images that do not look like a 12-lead ECG page are refused (exit \
                status 1) unless --no-gate is given, and pages lying on their side, upside down or slightly skewed \
                are turned upright first. A model with a novelty check (`ecg fit-gate`) also refuses images whose \
                features lie far from its training pages. In batch mode each record's "gate" says accepted, \
                not_an_ecg or out_of_distribution; refused files are recorded with status error, not scored, \
                unless --no-gate is given. With --output, scores folders (walked recursively) and list files \
                (--list, one path per line) into a JSON lines or CSV file, resumably and, with --shard or \
                JOB_COMPLETION_INDEX, as one part of a job split over several processes (`ecg merge-results` joins \
                the parts).

                \(researchNotice)
                """)

        @Argument(help: ArgumentHelp("Images to classify; with --output, also folders to score.", valueName: "path"))
        var images: [String] = []

        @Option(name: .shortAndLong, help: "The model's key (see `ecg models`); the registry's default when omitted.")
        var model: String?

        @Flag(help: "Print one JSON object per image instead of a table.")
        var json = false

        @Flag(name: .customLong("no-gate"),
              help: "Classify images even when the page check says they are not 12-lead ECG pages.")
        var noGate = false
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
                        let started = DispatchTime.now()
                        let data = try ImageFile.read(path)
                        let (prediction, verdict) = try classifier.classify(imageData: data, gate: InputGate(), enforce: !noGate)
                        print(json ? try jsonLine(path, classifier, prediction, verdict, started: started)
                                   : table(path, classifier, prediction) + pageNote(verdict))
                    } catch {
                        failures += 1
                        let hint = error is NotAnECGPage ? " (pass --no-gate to classify it anyway)" : ""
                        FileHandle.standardError.write(Data("error: \(path): \(error)\(hint)\n".utf8))
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
            if let fusion = prediction.fusion { lines += fusionLines(fusion) }
            lines.append(String(format: "  (%.1f ms preprocessing, %.1f ms inference)",
                                prediction.timings.preprocessMilliseconds, prediction.timings.inferenceMilliseconds))
            return lines.joined(separator: "\n")
        }

        /// A fused model's evidence: whether the trace was read, and the measurements that weighed most.
        private func fusionLines(_ fusion: FusionEvidence) -> [String] {
            guard fusion.traceRead else { return ["  trace not read (\(fusion.refusal ?? "refused")): the picture alone answered"] }
            return ["  measurements that weighed most (value; + for, - against the answer):"]
                + fusion.measurements.map { m in
                    "    \(m.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(String(format: "%9.3f  %+.2f", m.value, m.contribution))"
                }
        }

        /// What the page check did, when it did anything worth saying: turned the page, or let
        /// through (under `--no-gate`) an image it would have refused.
        private func pageNote(_ verdict: InputGate.Verdict) -> String {
            var lines: [String] = []
            if verdict.orientation.changed { lines.append("  (page \(verdict.orientation.summary) before classifying)") }
            if !verdict.accepted {
                lines.append("  WARNING: classified under --no-gate: \(NotAnECGPage(verdict: verdict))")
            }
            return lines.map { "\n" + $0 }.joined()
        }

        /// The image's answer in the API's shape (``PredictionAnswer``), with `image` naming the file.
        private func jsonLine(
            _ path: String, _ classifier: Classifier, _ prediction: Prediction, _ verdict: InputGate.Verdict, started: DispatchTime
        ) throws -> String {
            let total = DispatchTime.now().milliseconds(since: started)
            let model = prediction.timings.preprocessMilliseconds + prediction.timings.inferenceMilliseconds
            let timings = PredictionAnswer.Timings(
                queue: 0, decode: max(0, total - model), preprocess: prediction.timings.preprocessMilliseconds,
                inference: prediction.timings.inferenceMilliseconds, total: total)
            let answer = PredictionAnswer(
                model: classifier.key, modelName: classifier.displayName, trained: classifier.trained,
                uncertainBelow: classifier.uncertainBelow, prediction: prediction, timings: timings,
                page: PageReport(verdict, checked: !noGate), image: path)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(answer), as: UTF8.self)
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
