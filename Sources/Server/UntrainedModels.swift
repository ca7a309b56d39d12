import Hummingbird
import Inference

/// Untrained weights are not a model: the server refuses to classify with randomly initialised
/// weights, whose answers mean nothing, unless it was started with `--allow-untrained` (for
/// developing the app before any model is trained).
extension APIError {
    /// 409: the model exists but its weights are untrained.
    static func modelNotTrained(_ entry: ModelEntry) -> APIError {
        APIError(
            .conflict, "model_not_trained",
            "\(entry.name ?? entry.architecture.displayName) is not trained: its weights are random, so its answer "
                + "would mean nothing. Choose another model"
                + (entry.train.map { ", or train this one with `\($0)`" } ?? ", or train or import this one")
                + ". (A developer can start the server with --allow-untrained to use it anyway.)")
    }
}

extension ECGServer {
    /// Whether a request may use the model described by `model`: a ready one, or an untrained
    /// one when the server allows those.
    func canServe(_ model: ModelDescription) -> Bool {
        model.status == .ready || (model.status == .notTrained && allowUntrained)
    }
}

extension Predictor {
    /// Throws ``APIError/modelNotTrained(_:)`` when model `key` (the default when nil) has
    /// untrained weights and they are not allowed. Reads only the weights file's header.
    func refuseUntrained(_ key: String?) throws {
        guard !allowUntrained else { return }
        let entry = try catalog.registry.entry(key)
        if case .ready(trained: false, _) = ModelStatus(entry: entry, registry: catalog.registry) {
            throw APIError.modelNotTrained(entry)
        }
    }
}
