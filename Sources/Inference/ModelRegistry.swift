import Checkpoints
import Foundation
import ImageIO
import Kernels
import Models
import WeightImport

/// One model the product can serve: the old app's `MODEL_CONFIGS` entry.
///
/// Only `key`, `architecture` and `weights` are required; every other field falls back to the
/// weights file's metadata, then to the architecture's defaults. Adding a model is one weights
/// file plus one entry.
public struct ModelEntry: Codable, Sendable, Equatable {
    /// Short identifier used on the command line and in the API (`mobilenetv2`).
    public var key: String
    /// Name shown to people (`MobileNetV2`).
    public var name: String?
    public var architecture: Architecture
    /// Path of the weights file, relative to the registry file.
    public var weights: String
    /// Path of a weights file that supplies every tensor `weights` lacks, relative to the registry
    /// file: a model that is another model's frozen backbone with a head of its own (`ecglens`
    /// reuses `mobilenetv2`'s backbone), so the backbone is stored once.
    public var backbone: String?
    public var inputSize: Int?
    public var preprocessing: Preprocessing?
    public var resize: ResizeFilter?
    public var classes: [String]?
    /// torchvision InceptionV3's `transform_input`.
    public var transformInput: Bool?
    /// The part of the page the model reads (crop-to-trace), in page fractions.
    public var crop: CropBox?
    /// Reduced JPEG decoding for this model (`InputSpec.decodeRatio`), e.g. 2; nil keeps the weights' contract.
    public var decodeRatio: Double?
    /// What its convolutions multiply in (`Precision`): nil or fp32 by default; bf16 and int8 are
    /// opt-in and run in fp32 on a CPU without their instructions.
    public var precision: Precision?
    /// For int8: a calibration file (`ecg calibrate-int8`), relative to the registry file, that
    /// says which convolutions run in int8 (`Int8Calibration`); nil runs every one that can.
    public var int8Calibration: String?
    /// Why the model runs in fp32 although `precision` asks for more, on this CPU; nil when it
    /// runs as asked. The classifier reports it, and the server logs it at start.
    public var precisionFallbackNote: String? { (precision ?? .fp32).fallbackNote(model: key) }
    /// One sentence on what the model is, in plain words.
    public var description: String?
    /// Measured test figures of the weights its card describes.
    public var evaluation: ModelEvaluation?
    /// The key of the data set it was trained on, in the registry's `datasets`.
    public var dataset: String?
    /// Its model card, relative to the registry file (`cards/mobilenetv2.md`).
    public var card: String?
    /// The command that trains (or imports) its weights, shown while they are not trained.
    public var train: String?

    enum CodingKeys: String, CodingKey {
        case key, name, architecture, weights, backbone, preprocessing, resize, classes, description, crop
        case evaluation, dataset, card, train, precision
        case inputSize = "input_size", transformInput = "transform_input", decodeRatio = "decode_ratio"
        case int8Calibration = "int8_calibration"
    }

    public init(key: String, architecture: Architecture, weights: String) {
        self.key = key
        self.architecture = architecture
        self.weights = weights
    }

    /// The input contract fields this entry sets (`input_size`, `preprocessing`, `resize`, `crop`, `decode_ratio`).
    public var inputOverrides: InputSpec.Overrides {
        InputSpec.Overrides(inputSize: inputSize, preprocessing: preprocessing, resize: resize, crop: crop, decodeRatio: decodeRatio)
    }

    /// The input contract the entry's model uses, given its weights' metadata (nil when there are
    /// no weights yet): resolved by `Architecture.inputSpec(_:metadata:)`, entry first.
    public func inputSpec(metadata: WeightsMetadata?) -> InputSpec {
        architecture.inputSpec(inputOverrides, metadata: metadata?.input)
    }
}

/// The set of models, read from a registry file such as `models/models.json`:
/// `{"default": "mobilenetv2", "models": [ModelEntry, …]}`.
public struct ModelRegistry: Sendable {
    /// The models, in the file's order.
    public let entries: [ModelEntry]
    /// The key of the model used when none is named.
    public let defaultKey: String
    /// The folder that weights paths are relative to.
    public let baseDirectory: URL
    /// The data sets entries name in their `dataset`, by key.
    public private(set) var datasets: [String: DatasetCitation] = [:]

    private struct File: Codable {
        var `default`: String?
        var models: [ModelEntry]
        var datasets: [String: DatasetCitation]?
    }

    /// Reads a registry file.
    /// - Throws: `RegistryError` when the file is missing or malformed, or keys repeat.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RegistryError.unreadable(path: url.path)
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw RegistryError.invalid(path: url.path, reason: Self.describe(error))
        }
        try self.init(entries: file.models, defaultKey: file.default, baseDirectory: url.deletingLastPathComponent(),
                      path: url.path)
        datasets = file.datasets ?? [:]
        for entry in entries {
            if let key = entry.dataset, datasets[key] == nil {
                throw RegistryError.invalid(path: url.path, reason: "model \(entry.key) names the data set \"\(key)\", which \"datasets\" lacks")
            }
        }
    }

    /// Where `entry`'s model card is, when it has one.
    public func cardURL(_ entry: ModelEntry) -> URL? {
        entry.card.map(resolve)
    }

    /// A registry of the given entries.
    /// - Throws: `RegistryError.invalid` when there are none or keys repeat;
    ///   `RegistryError.unknownModel` when the default is unknown.
    public init(entries: [ModelEntry], defaultKey: String? = nil, baseDirectory: URL) throws {
        try self.init(entries: entries, defaultKey: defaultKey, baseDirectory: baseDirectory, path: baseDirectory.path)
    }

    /// `path` is what errors name: the registry file when there is one.
    private init(entries: [ModelEntry], defaultKey: String?, baseDirectory: URL, path: String) throws {
        guard let first = entries.first else { throw RegistryError.invalid(path: path, reason: "no models") }
        var seen = Set<String>()
        for entry in entries where !seen.insert(entry.key).inserted {
            throw RegistryError.invalid(path: path, reason: "model key \"\(entry.key)\" appears twice")
        }
        for entry in entries {
            if let size = entry.inputSize, !InputSpec.inputSizes.contains(size) {
                throw RegistryError.invalid(path: path, reason: "model \(entry.key) has input_size \(size), outside \(InputSpec.inputSizes)")
            }
            if let ratio = entry.decodeRatio, !InputSpec.decodeRatios.contains(ratio) {
                throw RegistryError.invalid(path: path, reason: "model \(entry.key) has decode_ratio \(ratio), outside \(InputSpec.decodeRatios)")
            }
        }
        let key = defaultKey ?? first.key
        guard seen.contains(key) else { throw RegistryError.unknownModel(key, known: entries.map(\.key)) }
        self.entries = entries
        self.defaultKey = key
        self.baseDirectory = baseDirectory
    }

    /// The entry called `key`, or the default entry when `key` is nil.
    /// - Throws: `RegistryError.unknownModel`.
    public func entry(_ key: String? = nil) throws -> ModelEntry {
        let key = key ?? defaultKey
        guard let entry = entries.first(where: { $0.key == key }) else {
            throw RegistryError.unknownModel(key, known: entries.map(\.key))
        }
        return entry
    }

    /// Where `entry`'s weights file is.
    public func weightsURL(_ entry: ModelEntry) -> URL {
        resolve(entry.weights)
    }

    /// Where `entry`'s int8 calibration file is, when it names one.
    public func int8CalibrationURL(_ entry: ModelEntry) -> URL? {
        entry.int8Calibration.map(resolve)
    }

    /// Where `entry`'s backbone weights file is, when it names one.
    public func backboneURL(_ entry: ModelEntry) -> URL? {
        entry.backbone.map(resolve)
    }

    /// A path the registry file names: absolute as it is, else relative to the registry's folder.
    private func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
    }

    /// The ECGLens safetensors file to load for `entry`: its weights file, or, when that is a
    /// Keras (`.keras`, `.h5`) or PyTorch (`.pth`) file, its conversion, made once and cached
    /// by content hash in a `.cache` folder next to it.
    /// - Throws: `RegistryError.notInstalled` when the file does not exist; `WeightImportError`
    ///   when a Keras or PyTorch file cannot be converted.
    public func loadableWeightsURL(_ entry: ModelEntry) throws -> URL {
        let url = weightsURL(entry)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RegistryError.notInstalled(key: entry.key, path: url.path)
        }
        guard importableExtensions.contains(url.pathExtension.lowercased()) else { return url }
        let settings = ImportSettings(
            classes: entry.classes ?? Architecture.ecgClasses, input: entry.inputOverrides, transformInput: entry.transformInput)
        return try cachedConversion(of: url, architecture: entry.architecture, settings: settings)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.dataCorrupted(context), let DecodingError.typeMismatch(_, context),
             let DecodingError.valueNotFound(_, context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case let DecodingError.keyNotFound(key, context):
            return "missing \"\(key.stringValue)\" at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return String(describing: error)
        }
    }
}

/// Errors in a model registry or in choosing a model from it.
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case invalid(path: String, reason: String)
    case unknownModel(String, known: [String])
    /// The model's weights file does not exist yet.
    case notInstalled(key: String, path: String)

    public var description: String {
        switch self {
        case let .unreadable(path): "\(path): cannot read the model registry"
        case let .invalid(path, reason): "\(path): invalid model registry: \(reason)"
        case let .unknownModel(key, known):
            // A client may send megabytes as a model name: quote the start only.
            "unknown model \"\(key.utf8.count > 64 ? "\(key.prefix(40))… (\(key.utf8.count) bytes)" : key)\" (known: \(known.joined(separator: ", ")))"
        case let .notInstalled(key, path):
            "model \(key) is not installed: no weights file at \(path); train or import it (see `ecg models`)"
        }
    }
}
