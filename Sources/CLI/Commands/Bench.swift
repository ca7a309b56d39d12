import ArgumentParser
import Dispatch
import Foundation
import Kernels
import Models
import NN
import Tensors

extension ECG {
    /// `ecg bench`: forward-pass latency of each architecture.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure each architecture's inference latency, throughput and peak memory.",
            discussion: """
                Uses random weights (speed does not depend on their values) and a random input. Build with \
                `swift build -c release` first: debug builds are many times slower. Threads: $ECG_THREADS or \
                every core. tools/bench/compare.py runs this next to ONNX Runtime, PyTorch and TensorFlow.
                """)

        @Option(help: "Architectures, comma-separated.")
        var architectures: String = Architecture.allCases.map(\.rawValue).joined(separator: ",")

        @Option(help: "Batch sizes, comma-separated.")
        var batches: String = "1,8"

        @Option(help: "Timed runs per case (the median is reported).")
        var runs = 20

        @Option(help: "Untimed warm-up runs per case (and at least one second of them).")
        var warmup = 5

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        struct Result: Encodable {
            let architecture: String, batch: Int
            let median_ms: Double, min_ms: Double, images_per_second: Double, peak_rss_mb: Double
        }

        func validate() throws {
            guard runs > 0, warmup >= 0 else { throw ValidationError("--runs must be positive and --warmup not negative") }
            for name in architectures.split(separator: ",") where Architecture(rawValue: String(name)) == nil {
                throw ValidationError("unknown architecture \(name) (known: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard batches.split(separator: ",").allSatisfy({ (Int($0) ?? 0) > 0 }) else {
                throw ValidationError("--batches must be positive integers")
            }
        }

        func run() throws {
            var results: [Result] = []
            if !json { print("architecture  batch  median ms     min ms   images/s  peak RSS MB   (threads: \(kernelThreadCount))") }
            for name in architectures.split(separator: ",") {
                let architecture = Architecture(rawValue: String(name))!
                let network = try architecture.build(parameters: RandomParameterSource(seed: 1), classes: 4)
                for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
                    let result = try measure(network, architecture: architecture, batch: batch)
                    results.append(result)
                    if !json {
                        print(String(format: "%-12@ %6d %10.2f %10.2f %10.1f %12.0f", architecture.rawValue as NSString,
                                     batch, result.median_ms, result.min_ms, result.images_per_second, result.peak_rss_mb))
                    }
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(["results": results]), as: UTF8.self))
            }
        }

        private func measure(_ network: any Network, architecture: Architecture, batch: Int) throws -> Result {
            let side = architecture.defaultInputSize
            var generator = SplitMix64(seed: 7)
            let input = Tensor(shape: [batch, side, side, 3]) { x in
                for i in 0..<(batch * side * side * 3) { x[i] = Float.random(in: 0...1, using: &generator) }
            }
            resetPeakMemory()
            // Warm up for `warmup` runs and at least a second: until the allocator has grown the
            // heap to its steady state, small models run up to twice as slowly.
            let warmupEnd = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
            var warmed = 0
            while warmed < warmup || DispatchTime.now().uptimeNanoseconds < warmupEnd {
                _ = try network.probabilities(input)
                warmed += 1
            }
            var times: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try network.probabilities(input)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            return Result(architecture: architecture.rawValue, batch: batch, median_ms: median, min_ms: times[0],
                          images_per_second: Double(batch) * 1000 / median, peak_rss_mb: peakMemoryMegabytes())
        }
    }
}

/// Resets the kernel's peak-RSS counter for this process (Linux; a no-op elsewhere).
private func resetPeakMemory() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

/// Peak resident memory since the last reset, from /proc/self/status's VmHWM (Linux), else 0.
private func peakMemoryMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return 0 }
    return kilobytes / 1024
}
