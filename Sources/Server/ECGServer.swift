import Foundation
import ImageIO
import Inference

/// Everything the routes share: the models, the samples, the metrics, the pages and the limits.
/// It holds no per-user state, so any number of replicas can serve behind a load balancer.
public struct ECGServer: Sendable {
    public let catalog: ModelCatalog
    public let gallery: SampleGallery
    public let metrics: ServerMetrics
    /// The limits every request meets.
    public let budget: RequestBudget
    /// The uploads being read or classified, against the budget's shared bounds.
    public let uploadGate: UploadGate
    /// The bytes of refused bodies read and dropped, across connections, against the budget's rate.
    let discardRate: ByteRate
    /// Whether models with untrained (random) weights may classify; a developer's setting.
    public let allowUntrained: Bool
    let pages: Pages
    let assets: StaticAssets
    /// Built once: every prediction request shares it.
    let predictor: Predictor

    /// The largest request body accepted, in bytes (413 past it).
    public var uploadLimit: Int { budget.maxBodyBytes }

    /// - Parameter budget: The request limits; the catalog's decoder limits and pixel budget are
    ///   set where it is made (``makeServer(_:logger:)`` takes both from one ``RequestBudget``).
    public init(
        catalog: ModelCatalog, gallery: SampleGallery, metrics: ServerMetrics, budget: RequestBudget = RequestBudget(),
        allowUntrained: Bool = false
    ) async throws {
        self.allowUntrained = allowUntrained
        self.catalog = catalog
        self.gallery = gallery
        self.metrics = metrics
        self.budget = budget
        uploadGate = UploadGate(maxUploads: budget.maxConcurrentUploads, maxBytes: budget.maxBufferedBytes)
        discardRate = ByteRate(bytesPerSecond: budget.maxDiscardedBytesPerSecond)
        pages = try await Pages()
        assets = try StaticAssets()
        predictor = Predictor(catalog: catalog, gallery: gallery, metrics: metrics, allowUntrained: allowUntrained,
                              explanations: ExplanationService(registry: catalog.registry, limits: budget.image),
                              measurer: PageMeasurer(limits: budget.image))
    }

    /// The server with the default budget but an upload limit of `uploadLimit` bytes.
    public init(
        catalog: ModelCatalog, gallery: SampleGallery, metrics: ServerMetrics, uploadLimit: Int, allowUntrained: Bool = false
    ) async throws {
        var budget = RequestBudget()
        budget.maxBodyBytes = uploadLimit
        try await self.init(catalog: catalog, gallery: gallery, metrics: metrics, budget: budget, allowUntrained: allowUntrained)
    }
}

/// The settings of `ecg serve`.
public struct ServerConfiguration: Sendable {
    /// The model registry file.
    public var registry: URL
    /// The folder of sample images, one sub-folder per class; nil for none.
    public var samples: URL?
    /// Every request limit (body size, uploads in flight, form fields, image pixels and scans).
    public var budget = RequestBudget()
    /// Requests that may wait per model before new ones get 503.
    public var queueCapacity = 16
    /// Images per forward pass, at most.
    public var maxBatch = 4
    /// Load every installed model before serving.
    public var preload = false
    /// Let models with untrained (random) weights classify (`ecg serve --allow-untrained`).
    public var allowUntrained = false

    public init(registry: URL) {
        self.registry = registry
    }
}
