import Checkpoints
import CZlib
import Foundation
import Models

/// What an imported model needs that its weights file may not say.
public struct ImportSettings: Sendable, Equatable {
    /// Class names, in output order: the head must have this many outputs.
    public var classes: [String]
    /// Input side; by default what a Keras model declares, else the architecture's.
    public var inputSize: Int?
    /// Preprocessing and resize names; by default the original app's for the architecture.
    public var preprocessing: String?
    public var resize: String?
    /// torchvision InceptionV3's `transform_input`; by default what a pickled model records, else off.
    public var transformInput: Bool?

    public init(classes: [String] = Architecture.ecgClasses, inputSize: Int? = nil, preprocessing: String? = nil,
                resize: String? = nil, transformInput: Bool? = nil) {
        self.classes = classes
        self.inputSize = inputSize
        self.preprocessing = preprocessing
        self.resize = resize
        self.transformInput = transformInput
    }
}

/// File extensions of the formats `openWeights` reads.
public let importableExtensions: Set<String> = ["keras", "h5", "hdf5", "pth", "pt"]

/// Converts a Keras or PyTorch weights file into an ECGLens safetensors file, strictly: the file
/// must hold every parameter of the architecture, and (PyTorch) no other, as
/// `load_state_dict(strict=True)` requires.
/// - Returns: the metadata written into the new file.
/// - Throws: `WeightImportError` for an unreadable, hostile or mismatched file;
///   `CheckpointError.writeFailed` when the destination cannot be written.
@discardableResult
public func importWeights(from source: URL, architecture: Architecture, to destination: URL,
                          settings: ImportSettings = .init()) throws -> WeightsMetadata {
    let weights = try openWeights(source, architecture: architecture, classes: settings.classes.count, inputSize: settings.inputSize)
    let inputSize = settings.inputSize ?? (weights as? KerasWeightsFile)?.declaredInputSize ?? architecture.defaultInputSize
    let missing = try weights.missingNames(classes: settings.classes.count, inputSize: inputSize)
    guard missing.isEmpty else {
        throw WeightImportError.architectureMismatch(
            path: weights.path, reason: "lacks \(missing.count) of \(architecture.rawValue)'s parameters (\(listed(missing))); "
                + "a backbone-only file can only start training (ecg train --init)")
    }
    let torch = weights as? TorchCheckpoint
    if let unused = torch?.unusedNames, !unused.isEmpty {
        throw WeightImportError.architectureMismatch(
            path: weights.path, reason: "holds \(unused.count) parameters that \(architecture.rawValue) does not have (\(listed(unused)))")
    }
    let parameters = try architecture.parameters(from: weights, classes: settings.classes.count, inputSize: inputSize)
    let metadata = WeightsMetadata(
        architecture: architecture, classes: settings.classes, inputSize: inputSize,
        preprocessing: settings.preprocessing ?? architecture.defaultPreprocessing, resize: settings.resize ?? "bicubic",
        provenance: "imported from \(source.lastPathComponent)", trained: true,
        options: NetworkOptions(transformInput: settings.transformInput ?? torch?.moduleFlags["transform_input"] ?? false))
    try SafetensorsFile.write(parameters, metadata: metadata.dictionary, to: destination)
    return metadata
}

/// The safetensors conversion of `source`, made on first use and kept in a `.cache` folder next
/// to it, named by the file's content hash and the settings, so that a changed file is
/// converted again.
/// - Throws: as `importWeights`.
public func cachedConversion(of source: URL, architecture: Architecture, settings: ImportSettings = .init()) throws -> URL {
    let hash = try contentHash(source)
    let key = "\(architecture.rawValue)-\(settings.classes.count)-\(settings.inputSize.map(String.init) ?? "d")"
    let folder = source.deletingLastPathComponent().appendingPathComponent(".cache")
    let destination = folder.appendingPathComponent("\(source.lastPathComponent)-\(key)-\(hash).safetensors")
    if FileManager.default.fileExists(atPath: destination.path) { return destination }
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw CheckpointError.writeFailed(path: folder.path, reason: "cannot create the conversion cache folder")
    }
    try importWeights(from: source, architecture: architecture, to: destination, settings: settings)
    return destination
}

/// CRC-32 and Adler-32 of the file's bytes, and its size: a content key for the cache.
private func contentHash(_ url: URL) throws -> String {
    let bytes = try LoadedBytes(contentsOf: url.path)
    var crc: uLong = crc32(0, nil, 0), adler: uLong = adler32(0, nil, 0)
    var start = 0
    while start < bytes.bytes.count {
        let length = min(1 << 30, bytes.bytes.count - start)
        let pointer = (bytes.bytes.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
        crc = crc32(crc, pointer, uInt(length))
        adler = adler32(adler, pointer, uInt(length))
        start += length
    }
    return String(format: "%08x%08x-%d", UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: adler), bytes.bytes.count)
}

/// The first few names, then how many more.
private func listed(_ names: [String]) -> String {
    names.count <= 4 ? names.joined(separator: ", ") : names.prefix(4).joined(separator: ", ") + ", … \(names.count - 4) more"
}
