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
    /// Whether models with untrained (random) weights may classify; a developer's setting.
    public let allowUntrained: Bool
    let pages: Pages
    let assets: StaticAssets

    public init(
        catalog: ModelCatalog, gallery: SampleGallery, metrics: ServerMetrics, uploadLimit: Int = 20_000_000,
        allowUntrained: Bool = false
    ) async throws {
        self.allowUntrained = allowUntrained
        self.catalog = catalog
        self.gallery = gallery
        self.metrics = metrics
        self.uploadLimit = uploadLimit
        pages = try await Pages()
        assets = try StaticAssets()
    }

    var predictor: Predictor {
        Predictor(catalog: catalog, gallery: gallery, metrics: metrics, allowUntrained: allowUntrained)
    }
}

/// The settings of `ecg serve`.
public struct ServerConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 7860
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
    /// Let models with untrained (random) weights classify (`ecg serve --allow-untrained`).
    public var allowUntrained = false

    public init(registry: URL) {
        self.registry = registry
    }
}
