// The hand-written exposition that Sources/Server/ServerMetrics.swift was until swift-prometheus
// replaced it (ECGLens 9ec4c62), kept here unchanged but for the class's name and its old NOTE, so that the bench
// can still weigh the two.
import Foundation

/// The server's counters, gauges and histograms, exposed at `/metrics` in the Prometheus text
/// format (version 0.0.4).
///
/// See: https://prometheus.io/docs/instrumenting/exposition_formats
final class HandWrittenMetrics: @unchecked Sendable {
    /// Upper bounds, in seconds, of the latency histograms' buckets.
    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Upper bounds of the batch-size histogram's buckets.
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32]

    /// A cumulative histogram: counts per bucket, plus sum and count.
    struct Histogram {
        var buckets: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(buckets: [Double]) {
            self.buckets = buckets
            counts = Array(repeating: 0, count: buckets.count)
        }

        mutating func observe(_ value: Double) {
            for index in buckets.indices where value <= buckets[index] { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    private let lock = NSLock()
    // Keys are rendered label sets, such as `route="/health",method="GET",status="200"`.
    private var requests: [String: Int] = [:]
    private var requestDurations: [String: Histogram] = [:]
    private var predictionErrors: [String: Int] = [:]
    private var inferenceDurations: [String: Histogram] = [:]
    private var batchSizes: [String: Histogram] = [:]
    private var queueDepths: [String: Int] = [:]
    private var loadedModels: Set<String> = []

    public init() {}

    /// The methods that become labels; any other (a client may send any token) is `other`.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    /// Counts one answered request and its latency. `route` must come from the router (a
    /// bounded set), never from the request's path.
    func observeRequest(method: String, route: String, status: Int, seconds: Double) {
        let method = Self.knownMethods.contains(method) ? method : "other"
        let routeLabel = labels(["route": route])
        lock.withLock {
            requests[labels(["method": method, "route": route, "status": String(status)]), default: 0] += 1
            requestDurations[routeLabel, default: Histogram(buckets: Self.latencyBuckets)].observe(seconds)
        }
    }

    /// Counts one failed prediction by its error code. `model` must be a registered model's key
    /// or `unknown`: each distinct value is a series kept for ever.
    func countPredictionError(_ code: String, model: String) {
        lock.withLock { predictionErrors[labels(["model": model, "error": code]), default: 0] += 1 }
    }

    func observeInference(seconds: Double, model: String) {
        lock.withLock {
            inferenceDurations[labels(["model": model]), default: Histogram(buckets: Self.latencyBuckets)].observe(seconds)
        }
    }

    func observeBatch(size: Int, model: String) {
        lock.withLock {
            batchSizes[labels(["model": model]), default: Histogram(buckets: Self.batchBuckets)].observe(Double(size))
        }
    }

    func setQueueDepth(_ depth: Int, model: String) {
        lock.withLock { queueDepths[labels(["model": model])] = depth }
    }

    func modelLoaded(_ model: String) {
        _ = lock.withLock { loadedModels.insert(model) }
    }

    /// The exposition text.
    public func render() -> String {
        lock.withLock {
            var out = ""
            family(&out, "ecg_http_requests_total", "counter", "HTTP requests answered, by method, route and status.")
            samples(&out, "ecg_http_requests_total", requests)
            family(&out, "ecg_http_request_duration_seconds", "histogram", "Time to answer a request, by route.")
            histograms(&out, "ecg_http_request_duration_seconds", requestDurations)
            family(&out, "ecg_prediction_errors_total", "counter", "Predictions refused or failed, by model and error code.")
            samples(&out, "ecg_prediction_errors_total", predictionErrors)
            family(&out, "ecg_inference_duration_seconds", "histogram", "Preprocessing plus forward pass per image, by model.")
            histograms(&out, "ecg_inference_duration_seconds", inferenceDurations)
            family(&out, "ecg_inference_batch_size", "histogram", "Images per forward pass, by model.")
            histograms(&out, "ecg_inference_batch_size", batchSizes)
            family(&out, "ecg_inference_queue_depth", "gauge", "Requests waiting for a model.")
            samples(&out, "ecg_inference_queue_depth", queueDepths)
            family(&out, "ecg_models_loaded", "gauge", "Models loaded into memory.")
            out += "ecg_models_loaded \(loadedModels.count)\n"
            return out
        }
    }

    private func family(_ out: inout String, _ name: String, _ type: String, _ help: String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private func samples(_ out: inout String, _ name: String, _ values: [String: Int]) {
        for (labels, value) in values.sorted(by: { $0.key < $1.key }) { out += "\(name){\(labels)} \(value)\n" }
    }

    private func histograms(_ out: inout String, _ name: String, _ values: [String: Histogram]) {
        for (labels, histogram) in values.sorted(by: { $0.key < $1.key }) {
            for (bound, count) in zip(histogram.buckets, histogram.counts) {
                out += "\(name)_bucket{\(labels),le=\"\(format(bound))\"} \(count)\n"
            }
            out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
            out += "\(name)_sum{\(labels)} \(format(histogram.sum))\n"
            out += "\(name)_count{\(labels)} \(histogram.count)\n"
        }
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A Prometheus label set, names in sorted order, values escaped.
private func labels(_ pairs: [String: String]) -> String {
    pairs.sorted { $0.key < $1.key }.map { name, value in
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        return "\(name)=\"\(escaped)\""
    }.joined(separator: ",")
}
