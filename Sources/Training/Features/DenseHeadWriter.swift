import Checkpoints
import Foundation
import Models
import Tensors

/// Writes a linear head fitted on cached global-average features into a MobileNetV2 weights
/// file, whose head is `GAP → Dense(128, relu) → Dropout → Dense(classes)` (`dense`, `dense_1`),
/// and checks that every other tensor was copied bit for bit.
public enum DenseHeadWriter {
    /// The head's parameter names, in Keras naming.
    public static let headNames: Set<String> = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]

    /// Copies `source` to `destination` with the head replaced by `head` (as `LogisticRegression.denseHead`)
    /// and `provenance` put before the command that made the source (where the backbone came from).
    ///
    /// - Returns: How many backbone tensors were verified identical after writing.
    /// - Throws: `CheckpointError` naming the file when `source` is unreadable, has no such head, or
    ///   a copied tensor differs after writing.
    public static func write(
        _ head: LogisticRegression, from source: URL, to destination: URL, provenance: String
    ) throws -> Int {
        let file = try SafetensorsFile(contentsOf: source)
        let old = try WeightsMetadata(file: file)
        guard let hidden = file.info("dense/kernel")?.shape.last, file.info("dense/kernel")?.shape.first == head.featureCount,
              file.info("dense_1/kernel")?.shape == [hidden, head.classCount], hidden >= 2 * head.classCount else {
            throw CheckpointError.mismatch(
                path: source.path, reason: "has no Dense(\(head.featureCount) -> h) -> Dense(h -> \(head.classCount)) head to replace")
        }
        let layers = try head.denseHead(hiddenUnits: hidden)
        let replaced = ["dense/kernel": layers.kernel, "dense/bias": layers.bias,
                        "dense_1/kernel": layers.outputKernel, "dense_1/bias": layers.outputBias]
        let tensors = try file.names.map { name in (name: name, tensor: try replaced[name] ?? file.tensor(name)) }
        var metadata = old
        // The backbone's history stays on record after the new head's: the command that made the
        // earlier weights (not their whole provenance, which may name the machine's folders).
        let earlier = old.provenance.range(of: "command: ").map { String(old.provenance[$0.upperBound...]) } ?? old.provenance
        metadata.provenance = provenance + "; backbone from weights made by: " + earlier
        metadata.trained = true
        try SafetensorsFile.write(tensors, metadata: metadata.dictionary, to: destination)

        // Every other tensor, read back, must equal the source's bit for bit.
        let written = try SafetensorsFile(contentsOf: destination)
        var verified = 0
        for name in file.names where !headNames.contains(name) {
            let before = try file.tensor(name).scalars.map(\.bitPattern), after = try written.tensor(name).scalars.map(\.bitPattern)
            guard before == after else { throw CheckpointError.mismatch(path: destination.path, reason: "\(name) changed while copying") }
            verified += 1
        }
        return verified
    }
}
