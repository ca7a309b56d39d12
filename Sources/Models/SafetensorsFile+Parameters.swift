import Checkpoints
import Foundation
import NN
import Tensors

extension SafetensorsFile: ParameterSource {
    /// The tensor called `name`, which must have `shape`.
    /// - Throws: `CheckpointError.missingTensor` or `.shapeMismatch`, naming this file.
    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        try tensor(name, expectedShape: shape)
    }
}

extension FallbackParameterSource {
    /// An ECGLens weights file, completed by `fallback` (e.g. `RandomParameterSource(seed:)`) for
    /// the parameters it lacks; one it has in another shape is an error naming the file.
    public convenience init(file: SafetensorsFile, fallback: ParameterSource) {
        self.init(primary: file, holds: { name, _ in file.contains(name) }, fallback: fallback)
    }
}

/// What an ECGLens weights file says about itself, in its safetensors `__metadata__`: enough to
/// serve it with nothing but a one-line registry entry.
public struct WeightsMetadata: Sendable, Equatable {
    public var architecture: Architecture
    /// Class names, in output order.
    public var classes: [String]
    /// Side of the square input image.
    public var inputSize: Int
    /// Preprocessing mode name (`rescale`, `imagenet`, `standard`).
    public var preprocessing: String
    /// Resize filter name (`bicubic`, `bilinear`, `nearest`).
    public var resize: String
    /// Where the weights came from (a training run, an import, a random initialisation).
    public var provenance: String
    /// False for randomly initialised weights, which must be labelled so wherever they show.
    public var trained: Bool
    public var options: NetworkOptions
    /// The crop box the model was trained with, as `left,top,right,bottom` page fractions; nil
    /// for the whole page.
    public var crop: String?
    /// The temperature that calibrates the probabilities (`ecg calibrate`): each row of logits is
    /// divided by it before the softmax. Nil when the model was never calibrated (temperature 1).
    public var temperature: Double?
    /// Calibrated top probabilities below this are answered as uncertain (chosen on the
    /// validation split by `ecg calibrate`); nil when not calibrated.
    public var uncertainBelow: Double?

    public init(architecture: Architecture, classes: [String], inputSize: Int, preprocessing: String,
                resize: String, provenance: String, trained: Bool, options: NetworkOptions = .init(),
                crop: String? = nil, temperature: Double? = nil, uncertainBelow: Double? = nil) {
        self.architecture = architecture
        self.classes = classes
        self.inputSize = inputSize
        self.preprocessing = preprocessing
        self.resize = resize
        self.provenance = provenance
        self.trained = trained
        self.options = options
        self.crop = crop
        self.temperature = temperature
        self.uncertainBelow = uncertainBelow
    }

    /// The `__metadata__` strings. The provenance is written with ``portable(_:)``: weights files
    /// travel, so they never record the writing machine's absolute paths.
    public var dictionary: [String: String] {
        let classList = (try? JSONEncoder().encode(classes)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
        var strings = [
            "format": "ecglens/1", "architecture": architecture.rawValue, "classes": classList,
            "input_size": String(inputSize), "preprocessing": preprocessing, "resize": resize,
            "provenance": Self.portable(provenance), "trained": trained ? "true" : "false",
            "transform_input": options.transformInput ? "true" : "false",
        ]
        strings["crop"] = crop
        strings["temperature"] = temperature.map { String($0) }
        strings["uncertain_below"] = uncertainBelow.map { String($0) }
        return strings
    }

    /// Reads the metadata of `file`.
    /// - Throws: `CheckpointError.mismatch` when the file is not an ECGLens weights file.
    public init(file: SafetensorsFile) throws {
        let m = file.metadata
        func fail(_ reason: String) -> CheckpointError { .mismatch(path: file.path, reason: reason) }
        guard let name = m["architecture"], let architecture = Architecture(rawValue: name) else {
            throw fail("metadata does not name a known architecture (\(m["architecture"] ?? "none"))")
        }
        guard let classText = m["classes"], let classes = try? JSONDecoder().decode([String].self, from: Data(classText.utf8)),
              !classes.isEmpty else {
            throw fail("metadata has no class list")
        }
        self.init(
            architecture: architecture, classes: classes,
            inputSize: m["input_size"].flatMap(Int.init) ?? architecture.defaultInputSize,
            preprocessing: m["preprocessing"] ?? architecture.defaultPreprocessing,
            resize: m["resize"] ?? "bicubic", provenance: m["provenance"] ?? "unknown",
            trained: m["trained"] != "false",
            options: NetworkOptions(transformInput: m["transform_input"] == "true"),
            crop: m["crop"],
            temperature: try m["temperature"].map { text in
                guard let value = Double(text), value.isFinite, value > 0 else { throw fail("metadata has an invalid temperature \(text)") }
                return value
            },
            uncertainBelow: try m["uncertain_below"].map { text in
                guard let value = Double(text), (0...1).contains(value) else {
                    throw fail("metadata has an invalid uncertain_below \(text)")
                }
                return value
            })
    }
}

extension Architecture {
    /// The preprocessing the original app used for this architecture (from its file's facts).
    public var defaultPreprocessing: String { facts.defaultPreprocessing }

    /// The four ECG classes, in the order every ECGLens model outputs them.
    public static let ecgClasses = [
        "Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal",
    ]
}
