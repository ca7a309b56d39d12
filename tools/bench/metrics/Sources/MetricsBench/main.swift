import Foundation
import Prometheus

// Three measurements, each for every implementation (Sinks.swift):
// 1. record: the server's calls for N simulated requests from 1, 2 and 4 threads at once (the
//    server records from event loops, request threads and inference threads); CPU and wall time
//    per call, median of 5 runs, each on a fresh instance;
// 2. render: `/metrics` after those requests, time (median of 21) and bytes;
// 3. memory and the cardinality attack of issue 17, each in a child process of its own
//    (`MetricsBench attack IMPLEMENTATION SCENARIO`), for a clean RSS.
// `MetricsBench dump DIR` writes each implementation's exposition after the workload, for a parser.

let requestsPerRun = 100_000
let runs = 5

// MARK: - The workload

enum Workload {
    static let models = ["small_cnn", "mobilenetv2", "inceptionv3", "vgg16"]
    static let routes: [(method: String, route: String)] = [
        ("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics"), ("POST", "/api/v1/predict"), ("GET", "/api/v1/models"),
        ("GET", "/"), ("GET", "/samples/{id}"), ("POST", "/predict"), ("GET", "/static/{file}"), ("FROBNICATE", "unmatched"),
    ]
    static let statuses = [200, 200, 200, 200, 200, 200, 404, 422, 503, 400]
    static let errors = ["unknown_model", "not_an_image", "busy", "server_busy", "image_too_large"]

    /// SplitMix64, so that every implementation and run sees the same requests.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The calls the server makes for requests `range`: one request observation each, and for a
    /// prediction the queue depth twice, then its batch and inference or its error. Returns the
    /// number of calls.
    static func simulate(_ sink: any Sink, _ range: Range<Int>) -> Int {
        var calls = 0
        for index in range {
            let r = mix(UInt64(index))
            let (method, route) = routes[Int(r % 10)]
            let status = statuses[Int((r >> 8) % 10)]
            let seconds = Double((r >> 16) % 3_000_000) / 1e6
            sink.observeRequest(method: method, route: route, status: status, seconds: seconds)
            calls += 1
            guard route.hasSuffix("predict") else { continue }
            let model = models[Int((r >> 40) % 4)]
            sink.setQueueDepth(Int((r >> 44) % 16), model: model)
            if status == 200 {
                sink.observeBatch(size: 1 + Int((r >> 48) % 4), model: model)
                sink.observeInference(seconds: seconds / 2, model: model)
                calls += 2
            } else {
                sink.countPredictionError(errors[Int((r >> 52) % 5)], model: (r >> 56) % 8 == 0 ? "unknown" : model)
                calls += 1
            }
            sink.setQueueDepth(0, model: model)
            calls += 2
        }
        return calls
    }

    static func populate(_ sink: any Sink) {
        models.forEach(sink.modelLoaded)
        _ = simulate(sink, 0..<requestsPerRun)
    }
}

// MARK: - Clocks and memory

func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// A field of /proc/self/status in MB (VmRSS, VmHWM); 0 where there is none.
func procStatusMB(_ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kB = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kB / 1024
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so that it measures the peak from here on.
func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

// MARK: - 1. Record

/// Runs `requestsPerRun` requests split over `threads` threads, all started together; returns
/// (CPU ns per call, wall ns per call).
func recordRun(_ implementation: Implementation, threads: Int) -> (cpu: Double, wall: Double) {
    let sink = implementation.make()
    Workload.models.forEach(sink.modelLoaded)
    let ready = DispatchGroup(), done = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    let counts = CallCounts(threads)
    for thread in 0..<threads {
        ready.enter()
        done.enter()
        let range = (requestsPerRun * thread / threads)..<(requestsPerRun * (thread + 1) / threads)
        Thread {
            ready.leave()
            start.wait()
            counts.set(thread, Workload.simulate(sink, range))
            done.leave()
        }.start()
    }
    ready.wait()
    let cpu0 = processCPUSeconds(), wall0 = now()
    for _ in 0..<threads { start.signal() }
    done.wait()
    let cpu = processCPUSeconds() - cpu0, wall = now() - wall0
    let calls = Double(counts.total)
    return (cpu * 1e9 / calls, wall * 1e9 / calls)
}

final class CallCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int]
    init(_ threads: Int) { counts = Array(repeating: 0, count: threads) }
    func set(_ thread: Int, _ count: Int) { lock.withLock { counts[thread] = count } }
    var total: Int { lock.withLock { counts.reduce(0, +) } }
}

/// The library's floor: one held Counter incremented and one held ValueHistogram recorded.
func floorRun(threads: Int) -> (counter: Double, histogram: Double) {
    let registry = PrometheusCollectorRegistry()
    let counter = registry.makeCounter(descriptor: Family.requests, labels: [("method", "GET"), ("route", "/health"), ("status", "200")])
    let histogram = registry.makeValueHistogram(
        descriptor: Family.requestDurations, labels: [("route", "/health")], buckets: ServerMetrics.latencyBuckets)
    func timed(_ body: @escaping @Sendable (Int) -> Void) -> Double {
        let done = DispatchGroup()
        let cpu0 = processCPUSeconds()
        for _ in 0..<threads {
            done.enter()
            Thread { body(requestsPerRun * 4 / threads); done.leave() }.start()
        }
        done.wait()
        return (processCPUSeconds() - cpu0) * 1e9 / Double(requestsPerRun * 4)
    }
    let c = timed { n in for _ in 0..<n { counter.increment() } }
    let h = timed { n in for i in 0..<n { histogram.record(Double(i % 3000) / 1000) } }
    return (c, h)
}

// MARK: - 3. Attack (child process)

/// Issue 17's attack: prediction errors for client-chosen model names. `unmapped` passes each
/// name as the label (what any caller that does not map gets); `mapped` passes what the
/// Predictor passes, a registered key or `unknown`.
func attack(_ implementation: Implementation, scenario: String) {
    let (count, length): (Int, Int) = scenario.hasPrefix("big") ? (60, 2_000_000) : (scenario.hasPrefix("many") ? (20_000, 100) : (0, 0))
    let mapped = scenario.hasSuffix("mapped") && !scenario.hasSuffix("unmapped")
    let registered = Set(Workload.models)
    let sink = implementation.make()
    let rss0 = procStatusMB("VmRSS")
    resetPeak()
    var recordSeconds = 0.0
    if scenario == "normal" {
        let t0 = now()
        Workload.populate(sink)
        recordSeconds = now() - t0
    } else {
        for index in 0..<count {
            // The name arrives with the request and is dropped after it, as in the server; only
            // the mapping and the sink's call are timed.
            let name = "attacker-\(index)-" + String(decoding: [UInt8](repeating: UInt8(ascii: "z"), count: length), as: UTF8.self)
            let t0 = now()
            sink.countPredictionError("unknown_model", model: mapped && !registered.contains(name) ? "unknown" : name)
            recordSeconds += now() - t0
        }
    }
    let rssAfterRecord = procStatusMB("VmRSS") - rss0
    let t1 = now()
    let text = sink.render()
    let bytes = text.utf8.count
    let renderSeconds = now() - t1
    let peak = procStatusMB("VmHWM") - rss0
    let kept = procStatusMB("VmRSS") - rss0
    print(String(format: "%.1f|%.1f|%.1f|%d|%.1f|%.1f", recordSeconds * 1000, rssAfterRecord, renderSeconds * 1000, bytes, peak, kept))
}

func runChild(_ arguments: [String]) -> String {
    let process = Process()
    process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { return "failed: \(error)" }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

// MARK: - Main

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "attack", arguments.count == 3, let implementation = Implementation(rawValue: arguments[1]) {
    attack(implementation, scenario: arguments[2])
    exit(0)
}
if arguments.first == "dump", arguments.count == 2 {
    for implementation in Implementation.allCases {
        let sink = implementation.make()
        Workload.populate(sink)
        sink.countPredictionError("unknown_model", model: "unknown \"quoted\" \\ back\nslash")
        let name = implementation.rawValue.replacingOccurrences(of: " ", with: "-") + ".prom"
        let file = URL(fileURLWithPath: arguments[1]).appendingPathComponent(name)
        try sink.render().write(to: file, atomically: true, encoding: .utf8)
        print(file.path)
    }
    exit(0)
}

var loadAverage = [Double](repeating: 0, count: 3)
getloadavg(&loadAverage, 3)
let load = loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " ")
print("MetricsBench: \(requestsPerRun) requests per run, median of \(runs) runs; \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load \(load)")
print("")
print("## Record (ns per call: CPU / wall)")
print("implementation | 1 thread | 2 threads | 4 threads")
print("---|---|---|---")
for implementation in Implementation.allCases {
    var cells: [String] = []
    for threads in [1, 2, 4] {
        let samples = (0..<runs).map { _ in recordRun(implementation, threads: threads) }
        cells.append(String(format: "%.0f / %.0f", median(samples.map(\.cpu)), median(samples.map(\.wall))))
    }
    print("\(implementation.rawValue) | \(cells.joined(separator: " | "))")
}
var floorCells: [String] = []
for threads in [1, 2, 4] {
    let samples = (0..<runs).map { _ in floorRun(threads: threads) }
    floorCells.append(String(format: "%.0f + %.0f", median(samples.map(\.counter)), median(samples.map(\.histogram))))
}
print("swift-prometheus floor: held Counter.increment + held ValueHistogram.record (CPU ns) | \(floorCells.joined(separator: " | "))")

print("")
print("## Render after \(requestsPerRun) requests (median of 21)")
print("implementation | ms | bytes | lines")
print("---|---|---|---")
for implementation in Implementation.allCases {
    let sink = implementation.make()
    Workload.populate(sink)
    var text = ""
    let times = (0..<21).map { _ in
        let t = now()
        text = sink.render()
        return (now() - t) * 1000
    }
    print(String(format: "%@ | %.3f | %d | %d", implementation.rawValue, median(times), text.utf8.count, text.split(separator: "\n").count))
}

print("")
print("## Memory and the cardinality attack (child process each; MB over the RSS before recording)")
print("implementation | scenario | record ms | RSS after record | render ms | bytes | peak RSS | RSS after render")
print("---|---|---|---|---|---|---|---")
for scenario in ["normal", "big-unmapped", "big-mapped", "many-unmapped", "many-mapped"] {
    for implementation in Implementation.allCases {
        let cells = runChild(["attack", implementation.rawValue, scenario]).replacingOccurrences(of: "|", with: " | ")
        print("\(implementation.rawValue) | \(scenario) | \(cells)")
    }
}
