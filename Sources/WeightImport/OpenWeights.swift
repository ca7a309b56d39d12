import Foundation
import Models

/// Opens another framework's weights file for `architecture`, whatever its format: a Keras 3
/// `.keras` archive or `.weights.h5`, a legacy Keras `.h5`, or a PyTorch `torch.save` file
/// (`state_dict` or whole pickled model). The format is recognised from the file's first bytes.
///
/// ```swift
/// let weights = try openWeights(URL(fileURLWithPath: "backbone.weights.h5"), architecture: .mobileNetV2)
/// weights.names            // the architecture's parameters the file holds
/// let source = PartialParameterSource(primary: weights, fallback: RandomParameterSource(seed: 1))
/// ```
/// - Parameters:
///   - classes: the number of output classes the head is checked against (the four ECG classes).
///   - inputSize: the input side, which fixes the small CNN's dense layer; the default otherwise.
/// - Throws: `WeightImportError` for an unreadable, malformed, hostile or mismatched file.
public func openWeights(
    _ url: URL, architecture: Architecture, classes: Int = Architecture.ecgClasses.count, inputSize: Int? = nil
) throws -> any ImportedWeights {
    let bytes = try LoadedBytes(contentsOf: url.path)
    return try openWeights(bytes, architecture: architecture, classes: classes, inputSize: inputSize)
}

func openWeights(_ bytes: LoadedBytes, architecture: Architecture, classes: Int, inputSize: Int?) throws -> any ImportedWeights {
    let head = Array(bytes.bytes.prefix(8))
    if head == HDF5File.signature {
        return try KerasWeightsFile(HDF5File(bytes), architecture: architecture, classes: classes, inputSize: inputSize)
    }
    if ZipArchive.isZip(bytes.bytes) {
        let archive = try ZipArchive(bytes)
        if let weights = archive.entry("model.weights.h5") {
            return try KerasArchive(archive, weights: weights, architecture: architecture, classes: classes, inputSize: inputSize).weights
        }
        return try TorchCheckpoint(archive, architecture: architecture, classes: classes)
    }
    if bytes.bytes.starts(with: TorchCheckpoint.legacyMagic) {
        return try TorchCheckpoint(legacy: bytes, architecture: architecture, classes: classes)
    }
    throw WeightImportError.unsupported(path: bytes.path, feature: "not a Keras (.keras, .h5) or PyTorch (.pth) weights file")
}
