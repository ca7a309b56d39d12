import Foundation
import Models

/// A Keras 3 `.keras` archive: `config.json` (the model's architecture), `metadata.json` and
/// `model.weights.h5`. The config is checked against the ECGLens architecture before any
/// weight is read, so a file for another model is refused with what differs.
struct KerasArchive {
    let weights: KerasWeightsFile
    /// The side of the square input the saved model declares, if it declares one.
    let inputSize: Int?

    static let maxConfigSize = 16 << 20

    init(_ archive: ZipArchive, weights member: ZipArchive.Entry, architecture: Architecture, classes: Int, inputSize: Int?) throws {
        let path = archive.path
        guard let configEntry = archive.entry("config.json") else {
            throw WeightImportError.malformed(path: path, reason: "a .keras archive without config.json")
        }
        guard configEntry.size <= Self.maxConfigSize else {
            throw WeightImportError.tooLarge(path: path, what: "the size of config.json", limit: Self.maxConfigSize)
        }
        let config = try KerasConfig(Data(try archive.contents(configEntry).bytes), path: path)
        self.inputSize = config.inputSize
        let map = try KerasLayerMap(architecture: architecture, classes: classes, inputSize: inputSize ?? config.inputSize)
        try config.check(against: map, architecture: architecture, path: path)
        weights = try KerasWeightsFile(HDF5File(try archive.contents(member)), architecture: architecture,
                                       classes: classes, inputSize: inputSize ?? config.inputSize,
                                       declaredInputSize: config.inputSize)
    }
}
