import Checkpoints
import CZlib
import Foundation
import ImageIO
import Models

/// What an imported model needs that its weights file may not say.
public struct ImportSettings: Sendable, Equatable {
    /// Class names, in output order: the head must have this many outputs.
    public var classes: [String]
    /// The input contract's fields given by the caller (a registry entry, `ecg import`'s options);
    /// the input size defaults to what a Keras model declares, the rest to the architecture's.
    public var input: InputSpec.Overrides
    /// torchvision InceptionV3's `transform_input`; by default what a pickled model records, else off.
    public var transformInput: Bool?

    public init(classes: [String] = Architecture.ecgClasses, input: InputSpec.Overrides = .init(), transformInput: Bool? = nil) {
        self.classes = classes
        self.input = input
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
    let weights = try openWeights(source, architecture: architecture, classes: settings.classes.count, inputSize: settings.input.inputSize)
    var overrides = settings.input
    if overrides.inputSize == nil, let declared = (weights as? KerasWeightsFile)?.declaredInputSize {
        guard InputSpec.inputSizes.contains(declared) else {
            throw WeightImportError.architectureMismatch(path: weights.path, reason: "declares an input size of \(declared) px")
        }
        overrides.inputSize = declared
    }
    let input = architecture.inputSpec(overrides)
    let inputSize = input.inputSize
    let missing = try weights.missingNames(classes: settings.classes.count, inputSize: inputSize)
    guard missing.isEmpty else {
        throw WeightImportError.architectureMismatch(
            path: weights.path, reason: "lacks \(missing.count) of \(architecture.rawValue)'s parameters (\(listed(missing))); "
                + "a backbone-only file can only start training (ecg train --init)")
    }
    try checkSmallCNNInputSize(weights, inputSize: inputSize)
    let torch = weights as? TorchCheckpoint
    if let unused = torch?.unusedNames, !unused.isEmpty {
        throw WeightImportError.architectureMismatch(
            path: weights.path, reason: "holds \(unused.count) parameters that \(architecture.rawValue) does not have (\(listed(unused)))")
    }
    let parameters = try architecture.parameters(from: weights, classes: settings.classes.count, inputSize: inputSize)
    let metadata = WeightsMetadata(
        architecture: architecture, classes: settings.classes, input: input,
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
    let settingsText = Array("\(settings)".utf8)
    let settingsHash = String(crc32(0, settingsText, uInt(settingsText.count)), radix: 16)
    let key = "\(architecture.rawValue)-\(settingsHash)"
    let folder = source.deletingLastPathComponent().appendingPathComponent(".cache")
    let destination = folder.appendingPathComponent("\(source.lastPathComponent)-\(key)-\(hash).safetensors")
    if FileManager.default.fileExists(atPath: destination.path) { return destination }
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw CheckpointError.writeFailed(path: folder.path, reason: "cannot create the conversion cache folder")
    }
    try importWeights(from: source, architecture: architecture, to: destination, settings: settings)
    return destination
}

/// The small CNN's dense layer is as wide as its input is large: says which input size a
/// mismatched file was trained on, rather than only that a shape differs.
private func checkSmallCNNInputSize(_ weights: any ImportedWeights, inputSize: Int) throws {
    guard weights.architecture == .smallCNN, let stored = try weights.shape(of: "dense/kernel"), stored.count == 2 else { return }
    let side = inputSize / 4 / 4
    guard stored[0] != side * side * 32 else { return }
    let trained = Int((Double(stored[0]) / 32).squareRoot())
    guard trained * trained * 32 == stored[0] else { return }  // not a square grid: the shape error will say so
    throw WeightImportError.architectureMismatch(
        path: weights.path,
        reason: "dense/kernel has shape \(stored), made for \(trained * 16)–\(trained * 16 + 15) px inputs, not \(inputSize) px; "
            + "give the input size the model was trained with (ecg import --input-size, or input_size in the registry)")
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
