import ArgumentParser
import Datasets
import Foundation
import ImageIO
import Inference
import Models
import Training

extension ECG {
    /// `ecg features DIR --model mobilenetv2`: cache a frozen backbone's pooled features of every
    /// image, for `ecg cv` and `ecg fit-head`.
    struct Features: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cache a model's frozen backbone features (global average and max pooling) of every image.",
            discussion: """
                Runs the model's convolutional backbone once over every image under DIR/<class>/ (the shared \
                data set, say) and stores each image's global-average and global-max pooled feature map, its \
                class and its fingerprint (for grouping duplicates) in a safetensors file, by default \
                cache/features/MODEL-SIZE-full-page.safetensors (or -crop). `ecg cv` cross-validates linear \
                heads on such files in seconds and `ecg fit-head` writes one into the model. mobilenetv2 and \
                vgg16 have a backbone feature map; --init reads the backbone from a file that may hold the \
                backbone alone (../shared/pretrained/vgg16_features_imagenet.pth, say) instead of the \
                registry's weights. --kind trace instead digitises every page (`ecg digitise`) \
                and stores its measurements (digitised and readable_fraction, then rate, RR variability, \
                ectopic beats, intervals, axis, per-lead ST, Q, R, S and T, per-territory ST, Q and T findings: \
                docs/accuracy.md), by default in \
                cache/features/trace.safetensors plus a CSV beside it; refused pages get zeros and digitised 0, \
                and are counted per class.
                """)

        @Argument(help: ArgumentHelp("A folder with one sub-folder of images per class.", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp("What to compute: backbone (a model's pooled features) or trace (the digitiser's measurements).", valueName: "kind"))
        var kind: Kind = .backbone

        @Option(help: ArgumentHelp("The model whose backbone runs (see `ecg models`).", valueName: "key"))
        var model = "mobilenetv2"

        @Option(help: "Input side in pixels (default: the model's).")
        var inputSize: Int?

        @OptionGroup var cropOptions: CropOptions

        @Option(name: .customLong("init"), help: ArgumentHelp(
            "Backbone weights from this file (Keras, PyTorch or safetensors; a backbone alone will do) instead of the registry's.",
            valueName: "file"))
        var initialWeights: String?

        @Option(help: ArgumentHelp("Input preprocessing (default: the model's): \(Preprocessing.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
        var preprocessing: Preprocessing?

        @Option(help: "Images per forward pass.")
        var batchSize = 8

        @Option(help: ArgumentHelp("The cache file to write.", valueName: "file"))
        var out: String?

        @OptionGroup var registryOptions: RegistryOptions

        enum Kind: String, ExpressibleByArgument, CaseIterable { case backbone, trace }

        func validate() throws {
            if kind == .trace, inputSize != nil || cropOptions.box != nil || initialWeights != nil || preprocessing != nil {
                throw ValidationError("--kind trace reads the whole page at its own size: drop --input-size, --crop, --init and --preprocessing")
            }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            if let inputSize, !(32...1024).contains(inputSize) { throw ValidationError("--input-size must be 32-1024") }
        }

        func run() throws {
            if kind == .trace { return try runTrace() }
            let registry = try registryOptions.registry()
            try failingCleanly {
                let entry = try registry.entry(model)
                let (network, input, classes, weightsURL) = try backbone(entry, registry: registry)
                guard let network = network as? any BackboneFeatures else {
                    throw FeatureCacheError.notFeatureNetwork(model)
                }
                var transform = input
                transform.inputSize = inputSize ?? transform.inputSize
                transform.preprocessing = preprocessing ?? transform.preprocessing
                transform.crop = cropOptions.box  // the whole page unless asked
                let weightsBytes = try Data(contentsOf: weightsURL)
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data), classes: classes)
                let source = FeatureCache.Source(
                    weights: weightsURL.lastPathComponent, weightsSHA256: SHA256.hex(weightsBytes),
                    architecture: network.architecture.rawValue, transform: transform,
                    data: folder.directory.standardizedFileURL.lastPathComponent)
                let bar = CountingProgressBar("features \(model) \(source.summary)", total: folder.files.count, unit: "images")
                let start = Date()
                let cache = try FeatureCache.compute(folder: folder, network: network, transform: transform, source: source,
                                                     batchSize: batchSize) { bar.update($0) }
                bar.finish()
                let url = URL(fileURLWithPath: out ?? "cache/features/\(model)-\(transform.inputSize)-\(transform.crop == nil ? "full-page" : "crop").safetensors")
                try cache.write(to: url)
                print("wrote \(cache.files.count) x \(cache.channels) average and max features (\(source.summary)) to \(url.path) in \(Int(Date().timeIntervalSince(start))) s")
            }
        }

        /// The model's network, input contract, classes and weights file: the registry's, or with
        /// `--init` the entry's architecture built from that file (its head, which features do not
        /// use, random where the file has none).
        private func backbone(_ entry: ModelEntry, registry: ModelRegistry) throws -> (any Network, InputSpec, [String], URL) {
            guard let initialWeights else {
                let classifier = try Classifier(entry: entry, registry: registry)
                return (classifier.network, classifier.input, classifier.classes, try registry.loadableWeightsURL(entry))
            }
            let architecture = entry.architecture, input = entry.inputSpec(metadata: nil)
            let parameters = try initialParameters(initialWeights, architecture: architecture, inputSize: input.inputSize, seed: 0).source
            let classes = entry.classes ?? Architecture.ecgClasses
            return (try architecture.build(parameters: parameters, classes: classes.count, inputSize: input.inputSize), input, classes,
                    URL(fileURLWithPath: initialWeights))
        }

        /// `--kind trace`: digitise and measure every page (`TraceFeatures`), report the refused pages per class.
        private func runTrace() throws {
            try failingCleanly {
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data))
                let bar = CountingProgressBar("trace features", total: folder.files.count, unit: "images")
                let start = Date()
                let (cache, refusals) = try TraceFeatures.compute(folder: folder) { bar.update($0) }
                bar.finish()
                let url = URL(fileURLWithPath: out ?? "cache/features/trace.safetensors")
                try cache.write(to: url)
                let csvURL = url.deletingPathExtension().appendingPathExtension("csv")
                try Data(TraceFeatures.csv(cache).utf8).write(to: csvURL, options: .atomic)
                let refusedPerClass = folder.classes.map { name in refusals.filter { $0.file.hasPrefix(name + "/") }.count }
                let filesPerClass = folder.classes.indices.map { label in cache.labels.filter { $0 == label }.count }
                print("wrote \(cache.files.count) x \(cache.channels) trace features to \(url.path) and \(csvURL.lastPathComponent) in \(Int(Date().timeIntervalSince(start))) s")
                print("refused by the digitiser (files): " + folder.classes.indices.map {
                    "\(folder.classes[$0]) \(refusedPerClass[$0])/\(filesPerClass[$0])"
                }.joined(separator: ", "))
                for refusal in refusals { print("  \(refusal.file): \(refusal.reason)") }
            }
        }
    }
}
