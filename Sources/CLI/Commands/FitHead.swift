import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Training

extension ECG {
    /// `ecg fit-head --features FILE --split Data/split.json --l2 X --weights W --out W`: fit a linear
    /// head on the training and validation files' cached features and write it into MobileNetV2's head.
    struct FitHead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit-head",
            abstract: "Fit a linear head on cached global-average features and write it into a MobileNetV2 weights file.",
            discussion: """
                Fits a class-balanced multinomial logistic regression (the recipe `ecg cv` chose) on the cached \
                features of the training and validation files of an `ecg split` record, each distinct image once, \
                and writes it into the Dense(128, relu) -> Dense(4) head of --weights as an exact equivalent \
                (two hidden units per class, relu(u) - relu(-u) = u), copying every backbone tensor unchanged and \
                checking that it did. The test files are never read. Only global-average pooling fits the shipped \
                head (GlobalAveragePooling2D); the cache must come from the same backbone as --weights.
                """)

        @Option(help: ArgumentHelp("A feature cache from `ecg features` over the folder the split was made from.", valueName: "file"))
        var features: String

        @Option(help: ArgumentHelp("The `ecg split` record (split.json) whose train and validation files to fit on.", valueName: "file"))
        var split: String

        @Option(help: "The L2 penalty on standardised features (choose it with `ecg cv`).")
        var l2: Double

        @Flag(help: "Weigh every image 1 instead of balancing the classes.")
        var noClassWeights = false

        @Option(help: ArgumentHelp("The MobileNetV2 weights whose backbone computed the cache.", valueName: "file"))
        var weights = "models/trained/mobilenetv2.safetensors"

        @Option(help: ArgumentHelp("Where to write the weights with the new head (may be --weights itself).", valueName: "file"))
        var out: String

        func validate() throws {
            guard l2 > 0 else { throw ValidationError("--l2 must be positive") }
        }

        func run() throws {
            try failingCleanly {
                let cache = try FeatureCache(contentsOf: URL(fileURLWithPath: features))
                guard cache.source.architecture == "mobilenetv2" else {
                    throw CLIError("\(features) holds \(cache.source.architecture) features; only mobilenetv2's head can be written")
                }
                guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: split)),
                      let record = try? JSONDecoder().decode(DatasetSplit.self, from: bytes) else {
                    throw CLIError("\(split) is not a split record written by `ecg split`")
                }
                let rowOfPath = Dictionary(cache.files.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                let fitted = record.files.filter { $0.split != .test }
                let rows = try fitted.map { file in
                    guard let row = rowOfPath[file.path] else { throw CLIError("\(features) has no features of \(file.path)") }
                    return row
                }
                var imageOfRow = Array(cache.files.indices)  // files the split does not list stay on their own
                for file in record.files { if let row = rowOfPath[file.path] { imageOfRow[row] = file.image + cache.files.count } }
                let recipe = HeadRecipe(pooling: .average, l2: l2, classBalanced: !noClassWeights)
                let head = recipe.fit(cache: cache, rows: rows, imageOfRow: imageOfRow)
                guard head.converged else { throw CLIError("the head did not converge in \(head.iterations) iterations; raise --l2") }
                let images = Set(rows.map { imageOfRow[$0] }).count
                let command = (["ecg"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
                let provenance = "ECGLens ecg fit-head: linear head (\(recipe)) on frozen backbone features "
                    + "(\(cache.source.summary), \(cache.source.weights) sha256 \(cache.source.weightsSHA256.prefix(12))) "
                    + "of the train and validation files of \(URL(fileURLWithPath: split).lastPathComponent) (\(rows.count) files, "
                    + "\(images) distinct images), written into the Dense(128, relu) -> Dense(4) head exactly; command: \(command)"
                let verified = try DenseHeadWriter.write(head, from: URL(fileURLWithPath: weights), to: URL(fileURLWithPath: out),
                                                         provenance: provenance)
                print("fitted on \(images) distinct images (\(rows.count) files) in \(head.iterations) L-BFGS iterations; "
                      + "wrote \(out) (\(verified) backbone tensors verified bit-identical)")
            }
        }
    }
}
