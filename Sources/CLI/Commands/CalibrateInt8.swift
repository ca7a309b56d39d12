import ArgumentParser
import Datasets
import Foundation
import ImageIO
import Inference
import Kernels
import Models
import NN

extension ECG {
    /// `ecg calibrate-int8 MODEL --data DIR`: which of a model's convolutions may run in int8.
    struct CalibrateInt8: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calibrate-int8",
            abstract: "Measure each convolution's int8 error on training images, and keep the noisy ones in fp32.",
            discussion: """
                Runs the model in fp32 over the images under DIR/<class>/ (the training split Data/train made \
                by `ecg split`; never the test split) and runs each convolution once more from the same input \
                with its weight in int8, on the int8 tiles this CPU has (plain C where it lacks AVX-512 VNNI: \
                the same floats, slower). Its signal-to-quantization-noise ratio, 10·log10(Σ y² / Σ (y − ŷ)²), \
                decides: a layer at or above --min-snr runs in int8 when the model asks for int8, the others \
                in fp32. Prints each layer's ratio and the share of the multiply-adds left in int8, and writes \
                a small JSON file; name it in the model's registry entry as "int8_calibration" (relative to \
                the registry file) with "precision": "int8", or try it first with \
                `ecg evaluate MODEL --precision int8 --int8-calibration FILE`.
                """)

        @Argument(help: ArgumentHelp("The model's key (see `ecg models`).", valueName: "model"))
        var model: String

        @Option(help: ArgumentHelp("The calibration images: a folder with one sub-folder of images per class.", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp(
            "Where to write the calibration file.",
            discussion: "Defaults to the weights file's name with .int8.json, next to it.", valueName: "file"))
        var out: String?

        @Option(help: "The lowest signal-to-noise ratio, in dB, at which a layer runs in int8.")
        var minSnr = Int8Calibration.defaultMinimumSignalToNoise

        @Option(help: "Use at most this many images, spread evenly over the folder (every class in its share); 0: all.")
        var limit = 0

        @Option(help: "Images per forward pass.")
        var batchSize = 8

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard limit >= 0 else { throw ValidationError("--limit must not be negative") }
            guard minSnr.isFinite else { throw ValidationError("--min-snr must be a number of dB") }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            try failingCleanly {
                var entry = try registry.entry(model)
                entry.precision = .fp32
                let classifier = try Classifier(entry: entry, registry: registry)
                guard classifier.trained else {
                    throw CLIError("\(registry.weightsURL(entry).path): the weights are untrained (random); train the model before calibrating it")
                }
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data), classes: classifier.classes)
                let files = Self.evenlySpaced(folder.files, limit: limit)
                let perClass = folder.classes.indices.map { label in files.filter { $0.label == label }.count }
                note("calibrating on \(files.count) of \(folder.files.count) images, per class "
                     + zip(folder.classes, perClass).map { "\($0) \($1)" }.joined(separator: ", "))
                note("int8 layers run on the \(KernelSet.int8) kernels")
                let ops = Int8CalibrationOps()
                let bar = CountingProgressBar("calibrating \(classifier.key)", total: files.count, unit: "images")
                var used = 0
                for start in stride(from: 0, to: files.count, by: batchSize) {
                    let batch = files[start..<min(start + batchSize, files.count)]
                    var images: [RGBImage] = []
                    for file in batch {
                        do {
                            images.append(try readImage(file.url, for: classifier.input).image)
                        } catch {
                            note("warning: \(file.url.path): \(error) (skipped)")
                        }
                    }
                    if !images.isEmpty { _ = try classifier.network(classifier.inputBatch(images), ops: ops) }
                    used += images.count
                    bar.update(start + batch.count)
                }
                bar.finish()
                guard used > 0 else { throw CLIError("\(data): none of the \(files.count) images could be read") }
                guard !ops.layers.isEmpty else { throw CLIError("\(classifier.key) has no convolution that int8 could run") }
                let calibration = ops.calibration(minimum: minSnr)
                print(Self.table(ops.layers, minimum: minSnr))
                let url = out.map { URL(fileURLWithPath: $0) }
                    ?? registry.weightsURL(entry).deletingPathExtension().appendingPathExtension("int8.json")
                try Int8CalibrationFile(model: classifier.key, images: used, data: URL(fileURLWithPath: data).lastPathComponent,
                                        calibration: calibration).write(to: url)
                note("wrote \(url.path): set \"int8_calibration\" (relative to the registry file) and \"precision\": \"int8\" "
                     + "in \(classifier.key)'s registry entry to use it")
            }
        }

        /// `limit` of `files` at evenly spaced positions (all of them when `limit` is 0 or not
        /// smaller): the folder lists its files class by class, so its first ones would all be
        /// one class's, and a calibration from one class's pages misjudges the others'.
        static func evenlySpaced<T>(_ files: [T], limit: Int) -> [T] {
            guard limit > 0, limit < files.count else { return files }
            return (0..<limit).map { files[$0 * files.count / limit] }
        }

        /// One line per layer (ratio, share of the work, int8 or fp32), then the int8 share.
        static func table(_ layers: [Int8CalibrationOps.Layer], minimum: Double) -> String {
            let total = layers.reduce(0) { $0 + $1.multiplyAdds }
            let width = layers.map(\.name.count).max() ?? 0
            var lines = ["layer".padding(toLength: width, withPad: " ", startingAt: 0) + "   SNR dB   work   runs in"]
            var int8Work = 0.0
            var int8Count = 0
            for layer in layers {
                let unchanged = !layer.int8Applies, int8 = !unchanged && layer.signalToNoise >= minimum
                if int8 { (int8Work, int8Count) = (int8Work + layer.multiplyAdds, int8Count + 1) }
                let snr = unchanged ? "     -" : String(format: "%6.1f", layer.signalToNoise)
                lines.append(layer.name.padding(toLength: width, withPad: " ", startingAt: 0)
                             + "   \(snr)  " + String(format: "%4.1f %%", 100 * layer.multiplyAdds / max(total, 1))
                             + "   " + (int8 ? "int8" : unchanged ? "fp32 (thin layer: int8 does not apply)" : "fp32"))
            }
            lines.append(String(format: "int8: %d of %d convolutions (at or above %.1f dB), %.0f %% of their multiply-adds",
                                int8Count, layers.count, minimum, 100 * int8Work / max(total, 1)))
            return lines.joined(separator: "\n")
        }
    }
}
