import Foundation
import ImageIO
import Inference

/// Everything the routes share: the models, the samples, the metrics, the pages and the limits.
/// It holds no per-user state, so any number of replicas can serve behind a load balancer.
public struct ECGServer: Sendable {
    public let catalog: ModelCatalog
    public let gallery: SampleGallery
    public let metrics: ServerMetrics
    /// The largest request body accepted, in bytes (413 past it).
    public let uploadLimit: Int
    let pages: Pages
    let assets: StaticAssets
    /// Built once: every prediction request shares it.
    let predictor: Predictor

    public init(catalog: ModelCatalog, gallery: SampleGallery, metrics: ServerMetrics, uploadLimit: Int = 20_000_000) async throws {
        self.catalog = catalog
        self.gallery = gallery
        self.metrics = metrics
        self.uploadLimit = uploadLimit
        pages = try await Pages()
        assets = try StaticAssets()
        predictor = Predictor(catalog: catalog, gallery: gallery, metrics: metrics)
    }
}

/// The settings of `ecg serve`.
public struct ServerConfiguration: Sendable {
    /// The model registry file.
    public var registry: URL
    /// The folder of sample images, one sub-folder per class; nil for none.
    public var samples: URL?
    public var uploadLimit = 20_000_000
    /// The decoder's pixel limit: larger images are refused before decoding.
    public var maxPixels = ImageDecoder.defaultMaxPixels
    /// Requests that may wait per model before new ones get 503.
    public var queueCapacity = 16
    /// Images per forward pass, at most.
    public var maxBatch = 4
    /// Load every installed model before serving.
    public var preload = false

    public init(registry: URL) {
        self.registry = registry
    }
}
