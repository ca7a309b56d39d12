import Checkpoints
import Foundation
import ImageIO
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
    /// The input contract the weights were trained (or imported) with: input size, resize
    /// filter, preprocessing and crop.
    public var input: InputSpec
    /// Where the weights came from (a training run, an import, a random initialisation).
    public var provenance: String
    /// False for randomly initialised weights, which must be labelled so wherever they show.
    public var trained: Bool
    public var options: NetworkOptions
    /// The temperature that calibrates the probabilities (`ecg calibrate`): each row of logits is
    /// divided by it before the softmax. Nil when the model was never calibrated (temperature 1).
    public var temperature: Double?
    /// Calibrated top probabilities below this are answered as uncertain (chosen on the
    /// validation split by `ecg calibrate`); nil when not calibrated.
    public var uncertainBelow: Double?

    /// The format tag written now: `ecglens/2` carries the input contract as one JSON value
    /// (`input_spec`). Files tagged `ecglens/1` carry it as separate strings, still read.
    public static let format = "ecglens/2"

    public init(architecture: Architecture, classes: [String], input: InputSpec, provenance: String, trained: Bool,
                options: NetworkOptions = .init(), temperature: Double? = nil, uncertainBelow: Double? = nil) {
        self.architecture = architecture
        self.classes = classes
        self.input = input
        self.provenance = provenance
        self.trained = trained
        self.options = options
        self.temperature = temperature
        self.uncertainBelow = uncertainBelow
    }

    /// The `__metadata__` strings. The provenance is written with ``portable(_:)``: weights files
    /// travel, so they never record the writing machine's absolute paths.
    public var dictionary: [String: String] {
        func json(_ value: some Encodable) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // Strings, numbers and enumerations always encode.
            return String(decoding: try! encoder.encode(value), as: UTF8.self)
        }
        var strings = [
            "format": Self.format, "architecture": architecture.rawValue, "classes": json(classes),
            "input_spec": json(input), "provenance": Self.portable(provenance), "trained": trained ? "true" : "false",
            "transform_input": options.transformInput ? "true" : "false",
        ]
        strings["temperature"] = temperature.map { String($0) }
        strings["uncertain_below"] = uncertainBelow.map { String($0) }
        return strings
    }

    /// Reads the metadata of `file`.
    /// - Throws: `CheckpointError.mismatch` when the file is not an ECGLens weights file.
    public init(file: SafetensorsFile) throws {
        try self.init(metadata: file.metadata, path: file.path)
    }

    /// Reads `__metadata__` strings (`path` names the file in errors).
    /// - Throws: `CheckpointError.mismatch` naming `path` when they do not describe ECGLens weights.
    public init(metadata m: [String: String], path: String) throws {
        func fail(_ reason: String) -> CheckpointError { .mismatch(path: path, reason: reason) }
        guard let name = m["architecture"], let architecture = Architecture(rawValue: name) else {
            throw fail("metadata does not name a known architecture (\(m["architecture"] ?? "none"))")
        }
        guard let classText = m["classes"], let classes = try? JSONDecoder().decode([String].self, from: Data(classText.utf8)),
              !classes.isEmpty else {
            throw fail("metadata has no class list")
        }
        self.init(
            architecture: architecture, classes: classes, input: try Self.input(m, architecture: architecture, fail: fail),
            provenance: m["provenance"] ?? "unknown",
            trained: m["trained"] != "false",
            options: NetworkOptions(transformInput: m["transform_input"] == "true"),
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

    /// The input contract: `input_spec` (JSON), or in files written before it (`ecglens/1`) the
    /// separate `input_size`, `preprocessing`, `resize` and `crop` strings, each missing one being
    /// the architecture's default. A value that does not parse is an error, never a silent default.
    private static func input(
        _ m: [String: String], architecture: Architecture, fail: (String) -> CheckpointError
    ) throws -> InputSpec {
        if let text = m["input_spec"] {
            do { return try JSONDecoder().decode(InputSpec.self, from: Data(text.utf8)) } catch {
                throw fail("metadata has an invalid input_spec \(text)")
            }
        }
        var overrides = InputSpec.Overrides()
        if let text = m["input_size"] {
            guard let size = Int(text), InputSpec.inputSizes.contains(size) else { throw fail("metadata has an invalid input_size \(text)") }
            overrides.inputSize = size
        }
        if let text = m["preprocessing"] {
            guard let value = Preprocessing(rawValue: text) else { throw fail("metadata has an unknown preprocessing \(text)") }
            overrides.preprocessing = value
        }
        if let text = m["resize"] {
            guard let value = ResizeFilter(rawValue: text) else { throw fail("metadata has an unknown resize filter \(text)") }
            overrides.resize = value
        }
        if let text = m["crop"] {
            guard let value = CropBox(text) else { throw fail("metadata has an invalid crop box \(text)") }
            overrides.crop = value
        }
        return architecture.inputSpec(overrides)
    }
}

extension Architecture {
    /// The four ECG classes, in the order every ECGLens model outputs them.
    public static let ecgClasses = [
        "Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal",
    ]
}
