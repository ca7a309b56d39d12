import Checkpoints
import Foundation
import Models
import Tensors

/// The novelty model's file: a small safetensors file next to the weights
/// (`small_cnn.gate.safetensors`), so that the committed weights stay as they are.
///
/// Tensors: `means` (`classes x d`), `whitening` (`d x d`) and `head_check` (`classes x outputs`:
/// the network's output for each class mean, which ties the file to the weights it was fitted
/// on: refitted or retrained weights no longer reproduce it). Metadata: `format`
/// (`ecglens-novelty/1`), `classes`, `feature_layer`, `threshold`, and the fit's facts.
extension NoveltyModel {
    static let format = "ecglens-novelty/1"
    private static let reservedKeys: Set<String> = ["format", "classes", "feature_layer", "threshold"]

    /// Writes the sidecar for `network` (whose head makes `head_check`).
    /// - Throws: `CheckpointError` when it cannot be written; ``NoveltyModelError`` when the
    ///   network offers no penultimate features of this model's width.
    public func write(to url: URL, network: any Network) throws {
        let check = try headCheck(network, path: url.relativePath)
        var metadata = facts.filter { !Self.reservedKeys.contains($0.key) }
        metadata["format"] = Self.format
        metadata["classes"] = String(decoding: try JSONEncoder().encode(classes), as: UTF8.self)
        metadata["feature_layer"] = featureLayer
        metadata["threshold"] = String(threshold)
        try SafetensorsFile.write([
            ("means", Tensor(shape: [classes.count, dimension], values: means.flatMap { $0 })),
            ("whitening", Tensor(shape: [dimension, dimension], values: whitening)),
            ("head_check", check),
        ], metadata: metadata, to: url)
    }

    /// Reads the sidecar of the weights at `weightsURL`, checked against `network`; nil when there is none.
    /// - Throws: ``NoveltyModelError/sidecar(path:reason:)`` naming the file when it is unreadable
    ///   or was not fitted on these weights.
    public static func sidecar(forWeights weightsURL: URL, network: any Network) throws -> NoveltyModel? {
        let url = sidecarURL(forWeights: weightsURL)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try read(url, network: network)
    }

    /// Reads the sidecar at `url`, checked against `network`.
    public static func read(_ url: URL, network: any Network) throws -> NoveltyModel {
        let path = url.relativePath
        func fail(_ reason: String) -> NoveltyModelError { .sidecar(path: path, reason: reason) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(contentsOf: url) } catch { throw fail("\(error)") }
        let m = file.metadata
        guard m["format"] == format else { throw fail("not a novelty model (format \(m["format"] ?? "none"))") }
        guard let classText = m["classes"], let classes = try? JSONDecoder().decode([String].self, from: Data(classText.utf8)),
              let thresholdText = m["threshold"], let threshold = Double(thresholdText) else {
            throw fail("metadata lacks the classes or the threshold")
        }
        guard let width = network.penultimate?.penultimateWidth else {
            throw fail("\(network.architecture.displayName) gives no penultimate features")
        }
        let model: NoveltyModel
        do {
            let means = try file.tensor("means", expectedShape: [classes.count, width]).scalars
            let whitening = try file.tensor("whitening", expectedShape: [width, width]).scalars
            model = try NoveltyModel(
                classes: classes, featureLayer: m["feature_layer"] ?? "?",
                means: (0..<classes.count).map { Array(means[($0 * width)..<(($0 + 1) * width)]) },
                whitening: whitening, threshold: threshold, facts: m.filter { !reservedKeys.contains($0.key) })
        } catch {
            throw fail("\(error)")
        }
        let stored: Tensor
        do { stored = try file.tensor("head_check") } catch { throw fail("\(error)") }
        let now = try model.headCheck(network, path: path)
        guard stored.shape == now.shape else { throw fail("it was fitted on a network with other outputs") }
        let drift = zip(stored.scalars, now.scalars).map { abs($0 - $1) }.max() ?? 0
        guard drift < 1e-3 else {
            throw fail("it was fitted on other weights (the network's output for the class means differs by \(drift))")
        }
        return model
    }

    /// The network's output for each class mean.
    private func headCheck(_ network: any Network, path: String) throws -> Tensor {
        guard let penultimate = network.penultimate, penultimate.penultimateWidth == dimension else {
            throw NoveltyModelError.sidecar(path: path, reason: "the network's penultimate layer does not have \(dimension) features")
        }
        return try penultimate.output(fromPenultimate: Tensor(shape: [classes.count, dimension], values: means.flatMap { $0 }))
    }
}

extension ModelRegistry {
    /// Where `entry`'s novelty model is (it may not exist).
    public func noveltyURL(_ entry: ModelEntry) -> URL {
        NoveltyModel.sidecarURL(forWeights: weightsURL(entry))
    }
}
