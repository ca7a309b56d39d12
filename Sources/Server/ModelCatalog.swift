import Foundation
import ImageIO
import Inference
import Models

/// The registry's models, each behind its own ``InferenceWorker``.
///
/// Each entry is resolved against its weights file (header read, a Keras or PyTorch file
/// converted) once, at start and on `reload()`; request handlers only look the result up.
public final class ModelCatalog: @unchecked Sendable {  // `resolved` is guarded by `lock`
    public let registry: ModelRegistry
    private let workers: [String: InferenceWorker]
    private let lock = NSLock()
    private var resolved: [String: ResolvedModel]

    /// - Parameters:
    ///   - capacity, maxBatch, limits: Each worker's queue bound, batch bound and decoder limits.
    ///   - pixelBudget: The pixels all workers may decode at once; nil for no bound.
    ///   - load: Builds a model from its entry; a real `Classifier` unless a test says otherwise.
    public init(
        registry: ModelRegistry, capacity: Int = 16, maxBatch: Int = 4, limits: ImageDecoder.Limits,
        pixelBudget: PixelBudget? = nil, metrics: ServerMetrics? = nil,
        load: (@Sendable (ModelEntry, ModelRegistry) throws -> any BatchClassifying)? = nil
    ) {
        self.registry = registry
        let load = load ?? { entry, registry in try Classifier(entry: entry, registry: registry) }
        workers = Dictionary(uniqueKeysWithValues: registry.entries.map { entry in
            (entry.key, InferenceWorker(
                key: entry.key, capacity: capacity, maxBatch: maxBatch, limits: limits, pixelBudget: pixelBudget, metrics: metrics,
                load: { try load(entry, registry) }))
        })
        resolved = Self.resolve(registry)
    }

    /// Reads every entry's weights metadata again: after weights were installed or replaced
    /// while serving. Models already in memory stay as they were loaded.
    public func reload() {
        let fresh = Self.resolve(registry)
        lock.withLock { resolved = fresh }
    }

    private static func resolve(_ registry: ModelRegistry) -> [String: ResolvedModel] {
        Dictionary(uniqueKeysWithValues: registry.entries.map { ($0.key, ResolvedModel(entry: $0, registry: registry)) })
    }

    /// The catalog with the decoder's default limits but `maxPixels`, and no shared pixel budget.
    public convenience init(
        registry: ModelRegistry, capacity: Int = 16, maxBatch: Int = 4, maxPixels: Int, metrics: ServerMetrics? = nil,
        load: (@Sendable (ModelEntry, ModelRegistry) throws -> any BatchClassifying)? = nil
    ) {
        self.init(
            registry: registry, capacity: capacity, maxBatch: maxBatch, limits: ImageDecoder.Limits(maxPixels: maxPixels),
            metrics: metrics, load: load)
    }

    /// Whether the registry has a model called `key`: only those become metric labels.
    public func isRegistered(_ key: String) -> Bool { workers[key] != nil }

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

    /// Every model as the API and the pages describe it: a lookup, no file is read.
    public func descriptions() -> [ModelDescription] {
        let resolved = lock.withLock { self.resolved }
        return registry.entries.map { entry in
            ModelDescription(
                resolved[entry.key]!, registry: registry, isDefault: entry.key == registry.defaultKey,
                worker: workers[entry.key]!.state)
        }
    }
}
