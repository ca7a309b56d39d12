import CoreMetrics
import Foundation
import Prometheus

/// One way of recording the server's series and rendering `/metrics`: the calls `ServerMetrics`
/// takes, with the same names, labels, buckets and bounded label values.
protocol Sink: Sendable {
    func observeRequest(method: String, route: String, status: Int, seconds: Double)
    func countPredictionError(_ code: String, model: String)
    func observeInference(seconds: Double, model: String)
    func observeBatch(size: Int, model: String)
    func setQueueDepth(_ depth: Int, model: String)
    func modelLoaded(_ model: String)
    func render() -> String
}

/// The hand-written exposition ServerMetrics was (HandWrittenMetrics.swift).
extension HandWrittenMetrics: Sink {}
/// Sources/Server/ServerMetrics.swift, as the server calls it.
extension ServerMetrics: Sink {}

typealias Family = ServerMetrics.Family

enum Implementation: String, CaseIterable {
    case handWritten = "hand-written"
    /// swift-prometheus's registry, each series looked up by its descriptor and labels per call.
    case serverMetrics = "ServerMetrics (swift-prometheus)"
    /// swift-metrics' `Counter`/`Recorder`/`Gauge` over `PrometheusMetricsFactory`: what a
    /// library that records through swift-metrics costs (one handle object per call, no HELP lines).
    case swiftMetrics = "swift-metrics API"

    func make() -> any Sink {
        switch self {
        case .handWritten: HandWrittenMetrics()
        case .serverMetrics: ServerMetrics()
        case .swiftMetrics: SwiftMetricsAPI()
        }
    }
}

/// The server's families and buckets through swift-metrics' API.
final class SwiftMetricsAPI: Sink, @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let lock = NSLock()
    private var loadedModels: Set<String> = []

    // The families' names, made once (a descriptor joins its parts each time it is asked).
    private let requests = Family.requests.name, requestDurations = Family.requestDurations.name
    private let predictionErrors = Family.predictionErrors.name, inferenceDurations = Family.inferenceDurations.name
    private let batchSizes = Family.batchSizes.name, queueDepths = Family.queueDepths.name
    private let modelsLoaded = Family.modelsLoaded.name

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [
            requestDurations: ServerMetrics.latencyBuckets, inferenceDurations: ServerMetrics.latencyBuckets,
            batchSizes: ServerMetrics.batchBuckets,
        ]
        self.factory = factory
    }

    func observeRequest(method: String, route: String, status: Int, seconds: Double) {
        let method = ServerMetrics.knownMethods.contains(method) ? method : "other"
        Counter(label: requests, dimensions: [("method", method), ("route", route), ("status", String(status))],
                factory: factory).increment()
        Recorder(label: requestDurations, dimensions: [("route", route)], factory: factory).record(seconds)
    }
    func countPredictionError(_ code: String, model: String) {
        Counter(label: predictionErrors, dimensions: [("error", code), ("model", model)], factory: factory).increment()
    }
    func observeInference(seconds: Double, model: String) {
        Recorder(label: inferenceDurations, dimensions: [("model", model)], factory: factory).record(seconds)
    }
    func observeBatch(size: Int, model: String) {
        Recorder(label: batchSizes, dimensions: [("model", model)], factory: factory).record(size)
    }
    func setQueueDepth(_ depth: Int, model: String) {
        Gauge(label: queueDepths, dimensions: [("model", model)], factory: factory).record(depth)
    }
    func modelLoaded(_ model: String) {
        let count = lock.withLock { loadedModels.insert(model); return loadedModels.count }
        Gauge(label: modelsLoaded, factory: factory).record(count)
    }
    func render() -> String { registry.emitToString() }
}
