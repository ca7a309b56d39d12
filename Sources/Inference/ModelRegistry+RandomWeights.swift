import Checkpoints
import Foundation
import ImageIO
import Models
import NN

extension ModelRegistry {
    /// Writes randomly initialised (untrained) weights for `entry`, labelled as such in their
    /// metadata, so the product can run before any model is trained.
    /// - Throws: `CheckpointError.writeFailed` when the file cannot be written.
    public func writeRandomWeights(for entry: ModelEntry, seed: UInt64 = 0) throws {
        let classes = entry.classes ?? Architecture.ecgClasses
        let input = entry.inputSpec(metadata: nil)
        let parameters = try entry.architecture.parameters(
            from: RandomParameterSource(seed: seed, initialiser: entry.architecture.weightInitialiser),
            classes: classes.count, inputSize: input.inputSize)
        let metadata = WeightsMetadata(
            architecture: entry.architecture, classes: classes, input: input,
            provenance: "random initialisation (\(entry.architecture.weightInitialiser.rawValue), seed \(seed)); untrained",
            trained: false,
            options: NetworkOptions(transformInput: entry.transformInput ?? false))
        let url = weightsURL(entry)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SafetensorsFile.write(parameters, metadata: metadata.dictionary, to: url)
    }
}
