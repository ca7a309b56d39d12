import ArgumentParser
import Foundation
import Inference

extension ECG {
    /// `ecg init-weights [KEY...] [--all] [--if-missing] [--seed S]`.
    struct InitWeights: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-weights",
            abstract: "Write randomly initialised (untrained) weights for registry models.",
            discussion: """
                Lets ECGLens run before any model is trained. The weights are labelled untrained in their \
                metadata, and every prediction made with them says so.
                """)

        @Argument(help: ArgumentHelp("Model keys.", valueName: "key"))
        var keys: [String] = []

        @Flag(help: "Every model in the registry.")
        var all = false

        @Flag(help: "Skip models whose weights file already exists.")
        var ifMissing = false

        @Flag(help: "Replace trained weights too (they are kept otherwise).")
        var force = false

        @Option(help: "Random seed.")
        var seed: UInt64 = 0

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            if keys.isEmpty && !all { throw ValidationError("name model keys or pass --all") }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            try failingCleanly {
                let entries = all ? registry.entries : try keys.map { try registry.entry($0) }
                for entry in entries {
                    let url = registry.weightsURL(entry)
                    if ifMissing && FileManager.default.fileExists(atPath: url.path) { continue }
                    // Never overwrite an imported Keras/PyTorch file, nor trained weights unless asked.
                    guard url.pathExtension == "safetensors" else {
                        note("\(entry.key): weights are \(url.lastPathComponent), not an ECGLens file; left as they are")
                        continue
                    }
                    if !force, case .ready(trained: true, _) = ModelStatus(entry: entry, registry: registry) {
                        note("\(entry.key): kept the trained weights in \(url.path) (--force replaces them)")
                        continue
                    }
                    try registry.writeRandomWeights(for: entry, seed: seed)
                    print("\(entry.key): wrote untrained random weights to \(url.path)")
                }
            }
        }
    }
}
