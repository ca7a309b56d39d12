import ArgumentParser
import Foundation
import ImageIO
import Inference
import Models
import WeightImport

extension ECG {
    /// `ecg import FILE --arch ARCH [--out FILE] [--key KEY] …`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a Keras (.keras, .h5) or PyTorch (.pth) model and add it to the registry.",
            discussion: """
                Reads Keras 3 .keras archives and .weights.h5 files, legacy Keras .h5 files, and torch.save \
                files holding a state_dict or a whole pickled model, without Python and without running \
                anything from the file (pickles may only rebuild tensors). Writes an ECGLens .safetensors \
                file and adds an entry for it to the registry, so `ecg predict -m KEY` serves it. The \
                registry can also name a .keras, .h5 or .pth file directly: it is then converted on first \
                use and cached by content hash in a .cache folder next to it.
                """)

        @Argument(help: ArgumentHelp("The Keras or PyTorch weights file.", valueName: "file"))
        var file: String

        @Option(name: .customLong("arch"), help: ArgumentHelp(
            "The architecture: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "architecture"))
        var architectureName: String

        @Option(help: "The model's registry key (default: the file's name without extension).")
        var key: String?

        @Option(help: "The name shown for the model (default: the architecture's).")
        var name: String?

        @Option(help: ArgumentHelp("Where to write the ECGLens weights (default: weights/KEY.safetensors next to the registry).",
                                   valueName: "file"))
        var out: String?

        @Option(help: ArgumentHelp("Class names in output order, comma-separated (default: the four ECG classes).",
                                   valueName: "a,b,…"))
        var classes: String?

        @Option(help: "Input image side (default: what a Keras model declares, else the architecture's).")
        var inputSize: Int?

        @Option(help: "Preprocessing: \(Preprocessing.allCases.map(\.rawValue).joined(separator: ", ")) (default: the app's for the architecture).")
        var preprocessing: String?

        @Option(help: "Resize filter: \(ResizeFilter.allCases.map(\.rawValue).joined(separator: ", ")) (default: bicubic).")
        var resize: String?

        @Flag(inversion: .prefixedNo, help: "InceptionV3's transform_input (default: what a pickled model records, else off).")
        var transformInput: Bool?

        @Flag(help: "Replace a registry entry with the same key.")
        var replace = false

        @Flag(help: "Only write the weights file; leave the registry unchanged.")
        var noRegister = false

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            guard Architecture(rawValue: architectureName) != nil else {
                throw ValidationError("unknown architecture \"\(architectureName)\" (known: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if let preprocessing, Preprocessing(rawValue: preprocessing) == nil { throw ValidationError("unknown preprocessing \"\(preprocessing)\"") }
            if let resize, ResizeFilter(rawValue: resize) == nil { throw ValidationError("unknown resize filter \"\(resize)\"") }
            if let inputSize, !(16...2048).contains(inputSize) { throw ValidationError("--input-size must be between 16 and 2048") }
            if let classes, classNames(classes).count < 2 { throw ValidationError("--classes needs at least two names") }
        }

        func run() throws {
            let architecture = Architecture(rawValue: architectureName)!
            let source = URL(fileURLWithPath: file)
            let key = self.key ?? source.deletingPathExtension().deletingPathExtension().lastPathComponent
            let registryURL = URL(fileURLWithPath: registryOptions.path)
            let destination = out.map { URL(fileURLWithPath: $0) }
                ?? registryURL.deletingLastPathComponent().appendingPathComponent("weights/\(key).safetensors")
            try failingCleanly {
                if !noRegister, !replace, let registry = try? ModelRegistry(contentsOf: registryURL), registry.entries.contains(where: { $0.key == key }) {
                    throw CLIError("\(registryURL.path) already has a model \"\(key)\"; pass --key NAME or --replace")
                }
                guard FileManager.default.fileExists(atPath: source.path) else { throw CLIError("\(file): no such file") }
                let settings = ImportSettings(
                    classes: classes.map(classNames) ?? Architecture.ecgClasses,
                    input: InputSpec.Overrides(inputSize: inputSize, preprocessing: preprocessing.flatMap(Preprocessing.init(rawValue:)),
                                               resize: resize.flatMap(ResizeFilter.init(rawValue:))),
                    transformInput: transformInput)
                print("Reading \(file) as \(architecture.displayName)…")
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                let metadata = try importWeights(from: source, architecture: architecture, to: destination, settings: settings)
                print("Wrote \(destination.path): \(metadata.classes.count) classes, \(metadata.input.inputSize) px input, "
                      + "\(metadata.input.preprocessing.rawValue) preprocessing\(metadata.options.transformInput ? ", transform_input on" : "")")
                guard !noRegister else { return }
                try register(key: key, weights: destination, in: registryURL, metadata: metadata)
                print("Registered \"\(key)\" in \(registryURL.path). Try: ecg predict IMAGE -m \(key)")
            }
        }

        private func classNames(_ list: String) -> [String] {
            list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        /// Adds (or replaces) the entry in the registry file, keeping its other entries and
        /// fields; the weights path is written relative to the registry when it lies below it.
        private func register(key: String, weights: URL, in registry: URL, metadata: WeightsMetadata) throws {
            var root: [String: Any] = ["models": [Any]()]
            if let data = FileManager.default.contents(atPath: registry.path) {
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw CLIError("\(registry.path): not a model registry (not a JSON object)")
                }
                root = object
            }
            let base = registry.deletingLastPathComponent().standardizedFileURL.path + "/"
            let full = weights.standardizedFileURL.path
            var entry: [String: Any] = [
                "key": key, "architecture": metadata.architecture.rawValue,
                "weights": full.hasPrefix(base) ? String(full.dropFirst(base.count)) : full,
                "input_size": metadata.input.inputSize, "preprocessing": metadata.input.preprocessing.rawValue,
                "resize": metadata.input.resize.rawValue,
                "classes": metadata.classes, "description": "Imported from \(URL(fileURLWithPath: file).lastPathComponent).",
            ]
            if metadata.architecture == .inceptionV3 { entry["transform_input"] = metadata.options.transformInput }
            if let name { entry["name"] = name }
            var models = (root["models"] as? [Any] ?? []).filter { ($0 as? [String: Any])?["key"] as? String != key }
            models.append(entry)
            root["models"] = models
            let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try FileManager.default.createDirectory(at: registry.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (data + Data("\n".utf8)).write(to: registry, options: .atomic)
            _ = try ModelRegistry(contentsOf: registry)  // the file still reads as a registry
        }
    }
}
