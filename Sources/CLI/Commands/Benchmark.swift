import Determinism
import Dispatch
import Foundation
import Inference
import Kernels
import Models
import Tensors

/// The harness both benchmarks share (`ecg bench`, inference; `ecg train --benchmark`, training
/// steps): random inputs, warm-up, timed runs, one row per case as a table or as JSON.
enum Benchmark {
    /// One measured case.
    struct Result: Encodable {
        let architecture: String, batch: Int
        let median_ms: Double, min_ms: Double, images_per_second: Double
        /// Peak resident memory during the case; nil where not measured.
        let peak_rss_mb: Double?
        /// The GEMM kernel set (`KernelSet`) the case ran with; nil where not recorded (training).
        var kernels: String? = nil
        /// What the convolutions multiplied in (`Precision`); nil where not recorded (training).
        var precision: String? = nil
        /// With `ecg bench --layers`: each step of the forward pass, in order.
        var layers: [StepTime]? = nil
    }

    /// One step of a forward pass (`LayerTime`), its median over the timed runs.
    struct StepTime: Encodable {
        let step: String, output_shape: [Int], gflop: Double, median_ms: Double

        /// Each step's median time over `runs` (every run takes the same steps, in the same order).
        static func medians(of runs: [[LayerTime]]) -> [StepTime] {
            guard let first = runs.first else { return [] }
            return first.indices.map { i in
                StepTime(step: first[i].step, output_shape: first[i].outputShape, gflop: first[i].flops / 1e9,
                         median_ms: Benchmark.median(runs.map { $0[i].seconds * 1000 }))
            }
        }

        /// The steps as an indented table: time, share of the steps' total, GFLOP and GFLOP/s.
        static func table(_ steps: [StepTime]) -> String {
            let total = steps.reduce(0) { $0 + $1.median_ms }
            func padded(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
            var lines = ["    #  \(padded("step", 30)) \(padded("output", 18))      ms   share    GFLOP  GFLOP/s"]
            for (i, s) in steps.enumerated() {
                let rate = s.gflop > 0 ? String(format: "%8.1f", s.gflop / s.median_ms * 1000) : "       -"
                let shape = s.output_shape.map(String.init).joined(separator: "x")
                lines.append(String(format: "  %3d  ", i) + padded(s.step, 30) + " " + padded(shape, 18)
                             + String(format: " %7.2f  %5.1f%%  %7.3f ", s.median_ms, 100 * s.median_ms / max(total, 1e-9), s.gflop) + rate)
            }
            let gflop = steps.reduce(0) { $0 + $1.gflop }
            lines.append("       " + padded("sum of the steps", 49) + String(format: " %7.2f  100.0%%  %7.3f %8.1f", total, gflop, gflop / total * 1000))
            return lines.joined(separator: "\n")
        }
    }

    /// A batch of `batch` random `side x side` RGB images with values in 0...1, the same for a seed.
    static func randomImages(batch: Int, side: Int, seed: UInt64 = 7) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(shape: [batch, side, side, 3]) { x in
            for i in 0 ..< batch * side * side * 3 { x[i] = Float.random(in: 0 ... 1, using: &generator) }
        }
    }

    /// Runs `body` `warmup` times untimed (and, with `minimumWarmupSeconds`, for at least that long:
    /// until the allocator has grown the heap to its steady state, small models run up to twice as
    /// slowly), then `runs` times timed.
    /// - Returns: the median and the fastest run in milliseconds.
    static func time(warmup: Int, runs: Int, minimumWarmupSeconds: Double = 0,
                     _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
        let warmupEnd = DispatchTime.now().uptimeNanoseconds + UInt64(minimumWarmupSeconds * 1e9)
        var warmed = 0
        while warmed < warmup || DispatchTime.now().uptimeNanoseconds < warmupEnd {
            try body()
            warmed += 1
        }
        var times: [Double] = []
        for _ in 0 ..< max(runs, 1) {
            let start = DispatchTime.now()
            try body()
            times.append(DispatchTime.now().milliseconds(since: start))
        }
        return (median(times), times.min()!)
    }

    /// The median of `values` (not empty): the middle one, or the mean of the middle two.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Prints `results` as pretty JSON (`{"results": [...]}`).
    static func printJSON(_ results: [Result]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(["results": results]), as: UTF8.self))
    }

    /// The table header, naming the thread count the kernels use.
    static func header(_ columns: String) -> String { "architecture  batch  \(columns)   (threads: \(kernelThreadCount))" }

    /// Resets the kernel's peak-RSS counter for this process (Linux; a no-op elsewhere).
    static func resetPeakMemory() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Peak resident memory since the last reset, from /proc/self/status's VmHWM (Linux), else 0.
    static func peakMemoryMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return kilobytes / 1024
    }
}
