import Foundation
import Inference
import Models

/// The registry's models, each behind its own ``InferenceWorker``.
public final class ModelCatalog: Sendable {
    public let registry: ModelRegistry
    private let workers: [String: InferenceWorker]

    /// - Parameters:
    ///   - capacity, maxBatch, maxPixels: Each worker's queue bound, batch bound and decoder limit.
    ///   - load: Builds a model from its entry; a real `Classifier` unless a test says otherwise.
    public init(
        registry: ModelRegistry, capacity: Int = 16, maxBatch: Int = 4, maxPixels: Int,
        metrics: ServerMetrics? = nil,
        load: (@Sendable (ModelEntry, ModelRegistry) throws -> any BatchClassifying)? = nil
    ) {
        self.registry = registry
        let load = load ?? { entry, registry in try Classifier(entry: entry, registry: registry) }
        workers = Dictionary(uniqueKeysWithValues: registry.entries.map { entry in
            (entry.key, InferenceWorker(
                key: entry.key, capacity: capacity, maxBatch: maxBatch, maxPixels: maxPixels, metrics: metrics,
                load: { try load(entry, registry) }))
        })
    }

    /// The worker for model `key` (the default model when nil).
    /// - Throws: `RegistryError.unknownModel`.
    public func worker(_ key: String?) throws -> InferenceWorker {
        workers[try registry.entry(key).key]!
    }

    /// Loads every installed model now; returns the keys and errors of those that failed.
    public func preloadAll() -> [(key: String, error: any Error)] {
        registry.entries.compactMap { entry in
            do {
                try workers[entry.key]!.preload()
                return nil
            } catch {
                return (entry.key, error)
            }
        }
    }

    /// Stops every worker once its queue is empty.
    public func stop() {
        workers.values.forEach { $0.stop() }
    }

    /// Every model as the API and the pages describe it.
    public func descriptions() -> [ModelDescription] {
        registry.entries.map { entry in
            ModelDescription(
                entry: entry, registry: registry, isDefault: entry.key == registry.defaultKey,
                fileStatus: ModelStatus(entry: entry, registry: registry), worker: workers[entry.key]!.state)
        }
    }
}
