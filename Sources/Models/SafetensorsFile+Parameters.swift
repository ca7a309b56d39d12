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

    public init(architecture: Architecture, classes: [String], inputSize: Int, preprocessing: String,
                resize: String, provenance: String, trained: Bool, options: NetworkOptions = .init(),
                crop: String? = nil) {
        self.architecture = architecture
        self.classes = classes
        self.inputSize = inputSize
        self.preprocessing = preprocessing
        self.resize = resize
        self.provenance = provenance
        self.trained = trained
        self.options = options
        self.crop = crop
    }

    /// The `__metadata__` strings.
    public var dictionary: [String: String] {
        let classList = (try? JSONEncoder().encode(classes)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
        var strings = [
            "format": "ecglens/1", "architecture": architecture.rawValue, "classes": classList,
            "input_size": String(inputSize), "preprocessing": preprocessing, "resize": resize,
            "provenance": provenance, "trained": trained ? "true" : "false",
            "transform_input": options.transformInput ? "true" : "false",
        ]
        strings["crop"] = crop
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
            crop: m["crop"])
    }
}

extension Architecture {
    /// The preprocessing the original app used for this architecture.
    public var defaultPreprocessing: String {
        switch self {
        case .smallCNN, .mobileNetV2: "rescale"
        case .inceptionV3: "imagenet"
        case .vgg16: "standard"
        }
    }

    /// The four ECG classes, in the order every ECGLens model outputs them.
    public static let ecgClasses = [
        "Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal",
    ]
}
