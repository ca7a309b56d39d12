import CoreMetrics
import Foundation
import Prometheus

/// One way of recording the server's series and rendering `/metrics`: the calls `ServerMetrics`
/// takes, with the same names, labels, buckets and bounded label values.
protocol Sink: Sendable {
    func request(method: String, route: String, status: Int, seconds: Double)
    func predictionError(_ code: String, model: String)
    func inference(seconds: Double, model: String)
    func batch(size: Int, model: String)
    func queueDepth(_ depth: Int, model: String)
    func loaded(_ model: String)
    func render() -> String
}

enum Implementation: String, CaseIterable {
    /// The hand-written exposition ServerMetrics was (HandWrittenMetrics.swift).
    case handWritten = "hand-written"
    /// Sources/Server/ServerMetrics.swift, as the server calls it: swift-prometheus's registry,
    /// each series looked up by its descriptor and labels on every call.
    case serverMetrics = "ServerMetrics (swift-prometheus)"
    /// swift-metrics' `Counter`/`Recorder`/`Gauge` over `PrometheusMetricsFactory`: what a
    /// library that records through swift-metrics costs (one handle object per call, no HELP lines).
    case swiftMetrics = "swift-metrics API"

    func make() -> any Sink {
        switch self {
        case .handWritten: HandWritten()
        case .serverMetrics: Server()
        case .swiftMetrics: SwiftMetricsAPI()
        }
    }
}

/// The server's metric names, help texts and buckets (as in ServerMetrics), for the swift-metrics
/// sink and the floor. The descriptors are
/// computed: `MetricNameDescriptor` is not `Sendable`, so Swift 6 refuses it in a `static let`.
enum Series {
    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32]
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_http_requests", unitName: "total", helpText: "HTTP requests answered, by method, route and status.")
    }
    static var requestDurations: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_http_request_duration", unitName: "seconds", helpText: "Time to answer a request, by route.")
    }
    static var predictionErrors: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_prediction_errors", unitName: "total", helpText: "Predictions refused or failed, by model and error code.")
    }
    static var inferenceDurations: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_inference_duration", unitName: "seconds", helpText: "Preprocessing plus forward pass per image, by model.")
    }
    static var batchSizes: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_inference_batch_size", unitName: "", helpText: "Images per forward pass, by model.")
    }
    static var queueDepths: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_inference_queue_depth", unitName: "", helpText: "Requests waiting for a model.")
    }
    static var modelsLoaded: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "ecg_models_loaded", unitName: "", helpText: "Models loaded into memory.")
    }
}

struct HandWritten: Sink {
    let metrics = HandWrittenMetrics()
    func request(method: String, route: String, status: Int, seconds: Double) {
        metrics.observeRequest(method: method, route: route, status: status, seconds: seconds)
    }
    func predictionError(_ code: String, model: String) { metrics.countPredictionError(code, model: model) }
    func inference(seconds: Double, model: String) { metrics.observeInference(seconds: seconds, model: model) }
    func batch(size: Int, model: String) { metrics.observeBatch(size: size, model: model) }
    func queueDepth(_ depth: Int, model: String) { metrics.setQueueDepth(depth, model: model) }
    func loaded(_ model: String) { metrics.modelLoaded(model) }
    func render() -> String { metrics.render() }
}

struct Server: Sink {
    let metrics = ServerMetrics()
    func request(method: String, route: String, status: Int, seconds: Double) {
        metrics.observeRequest(method: method, route: route, status: status, seconds: seconds)
    }
    func predictionError(_ code: String, model: String) { metrics.countPredictionError(code, model: model) }
    func inference(seconds: Double, model: String) { metrics.observeInference(seconds: seconds, model: model) }
    func batch(size: Int, model: String) { metrics.observeBatch(size: size, model: model) }
    func queueDepth(_ depth: Int, model: String) { metrics.setQueueDepth(depth, model: model) }
    func loaded(_ model: String) { metrics.modelLoaded(model) }
    func render() -> String { metrics.render() }
}

/// The set of loaded models, shared by the library sinks (the gauge is its size).
final class LoadedModels: @unchecked Sendable {
    private let lock = NSLock()
    private var models: Set<String> = []
    func insert(_ model: String) -> Int { lock.withLock { models.insert(model); return models.count } }
}

final class SwiftMetricsAPI: Sink {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let models = LoadedModels()

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [
            Series.requestDurations.name: Series.latencyBuckets, Series.inferenceDurations.name: Series.latencyBuckets,
            Series.batchSizes.name: Series.batchBuckets,
        ]
        self.factory = factory
    }

    func request(method: String, route: String, status: Int, seconds: Double) {
        let method = Series.knownMethods.contains(method) ? method : "other"
        Counter(label: "ecg_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))],
                factory: factory).increment()
        Recorder(label: "ecg_http_request_duration_seconds", dimensions: [("route", route)], factory: factory).record(seconds)
    }
    func predictionError(_ code: String, model: String) {
        Counter(label: "ecg_prediction_errors_total", dimensions: [("error", code), ("model", model)], factory: factory).increment()
    }
    func inference(seconds: Double, model: String) {
        Recorder(label: "ecg_inference_duration_seconds", dimensions: [("model", model)], factory: factory).record(seconds)
    }
    func batch(size: Int, model: String) {
        Recorder(label: "ecg_inference_batch_size", dimensions: [("model", model)], factory: factory).record(size)
    }
    func queueDepth(_ depth: Int, model: String) {
        Gauge(label: "ecg_inference_queue_depth", dimensions: [("model", model)], factory: factory).record(depth)
    }
    func loaded(_ model: String) {
        Gauge(label: "ecg_models_loaded", factory: factory).record(models.insert(model))
    }
    func render() -> String { registry.emitToString() }
}
