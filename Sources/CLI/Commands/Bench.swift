import ArgumentParser
import Foundation
import Kernels
import Models
import NN

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
        var architectures: ArchitectureList = .all

        @Option(help: "Batch sizes, comma-separated.")
        var batches: String = "1,8"

        @Option(help: "Timed runs per case (the median is reported).")
        var runs = 20

        @Option(help: "Untimed warm-up runs per case (and at least one second of them).")
        var warmup = 5

        @Option(help: """
            GEMM kernel sets to run each case with, comma-separated (avx512, avx2, portable; each must be one \
            this CPU can run). Default: the one picked at start ($ECG_KERNELS, else the best the CPU supports).
            """)
        var kernels: String?

        @Option(help: ArgumentHelp(
            "Precisions to run each case in, comma-separated: fp32, bf16 (AVX-512 BF16), int8 (AVX-512 VNNI convolutions).",
            discussion: "A precision this CPU lacks runs in fp32, with a note; so do bf16 with a kernel set other than avx512 and int8 with avx2. int8 on the portable set runs plain C tiles (slow)."))
        var precision: String = "fp32"

        @Option(help: ArgumentHelp(
            "For int8: a calibration file (`ecg calibrate-int8`) whose layers below its bar run in fp32, as in the calibrated model.",
            discussion: "It names layers by parameter, so it fits every model of its architecture; give one architecture with it.",
            valueName: "file"))
        var int8Calibration: String?

        @Flag(help: ArgumentHelp(
            "Also time each step of the forward pass (convolution, fused block, pooling, dense...).",
            discussion: "Prints, after each case, every step's median time over --runs passes, its GFLOP/s and its share."))
        var layers = false

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func validate() throws {
            guard runs > 0, warmup >= 0 else { throw ValidationError("--runs must be positive and --warmup not negative") }
            guard batches.split(separator: ",").allSatisfy({ (Int($0) ?? 0) > 0 }) else {
                throw ValidationError("--batches must be positive integers")
            }
            _ = try kernelSets()
            _ = try precisions()
            if int8Calibration != nil, architectures.architectures.count != 1 {
                throw ValidationError("--int8-calibration names one architecture's layers: give exactly one with --architectures")
            }
        }

        /// The precisions to run in, from `--precision`.
        func precisions() throws -> [Precision] {
            try precision.split(separator: ",").map { name in
                guard let value = Precision(rawValue: String(name)) else {
                    throw ValidationError("--precision: '\(name)' is not one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return value
            }
        }

        /// The kernel sets to run with, from `--kernels` or the one in use.
        func kernelSets() throws -> [KernelSet] {
            do {
                _ = try KernelSet.fromEnvironment()
            } catch {
                throw ValidationError(error.description)
            }
            guard let kernels else { return [KernelSet.current] }
            return try kernels.split(separator: ",").map { name in
                guard let set = KernelSet(rawValue: String(name)) else {
                    throw ValidationError("--kernels: '\(name)' is not one of \(KernelSet.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard set.isSupported else {
                    throw ValidationError("--kernels: this CPU cannot run \(set) (it has: \(KernelSet.cpuFeatureNames))")
                }
                return set
            }
        }

        func run() throws {
            var results: [Benchmark.Result] = []
            let calibration = try int8Calibration.map { path in
                try failingCleanly {
                    let calibration = try Int8CalibrationFile(contentsOf: URL(fileURLWithPath: path)).calibration
                    let names = try architectures.architectures[0].parameterList(classes: 4).map(\.name)
                    guard names.contains(where: { calibration.signalToNoise[$0] != nil }) else {
                        throw CLIError("\(path): calibrates none of \(architectures.architectures[0].rawValue)'s convolutions")
                    }
                    return calibration
                }
            }
            let sets = try kernelSets()
            let precisions = try precisions()
            for requested in precisions {
                if let note = requested.fallbackNote(model: "--precision") { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            }
            if !json {
                print("CPU features: \(KernelSet.cpuFeatureNames); GEMM kernels: \(sets.map(\.rawValue).joined(separator: ", "))"
                      + " (best here: \(KernelSet.best))")
                print(Benchmark.header("median ms     min ms   images/s  peak RSS MB  kernels  precision"))
            }
            for architecture in architectures.architectures {
                for requested in precisions {
                    // Built under the set it runs on (int8 panels are packed only where the set has int8 tiles):
                    // once for fp32, and once per set for bf16 and int8.
                    var networks: [String: any Network] = [:]
                    for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
                        for set in sets {
                            // bf16 runs on its tiles only with the avx512 set, int8 with avx512 (VNNI) or portable (`Precision`).
                            let ran = requested.runs(on: set) ? requested : .fp32
                            let key = ran == .fp32 ? "fp32" : "\(ran)-\(set)"
                            let network = try networks[key] ?? KernelSet.with(set) {
                                try architecture.build(parameters: RandomParameterSource(seed: 1), classes: 4, precision: ran,
                                                       int8Calibration: calibration)
                            }
                            networks[key] = network
                            KernelSet.current = set
                            let input = Benchmark.randomImages(batch: batch, side: architecture.defaultInputSize)
                            Benchmark.resetPeakMemory()
                            let time = try Benchmark.time(warmup: warmup, runs: runs, minimumWarmupSeconds: 1) {
                                _ = try network.probabilities(input)
                            }
                            var result = Benchmark.Result(
                                architecture: architecture.rawValue, batch: batch, median_ms: time.median, min_ms: time.min,
                                images_per_second: Double(batch) * 1000 / time.median, peak_rss_mb: Benchmark.peakMemoryMegabytes(),
                                kernels: set.rawValue, precision: ran.rawValue)
                            if layers, let profiling = network as? any LayerProfiling {
                                result.layers = try Benchmark.StepTime.medians(of: (0..<runs).map { _ in try profiling.layerTimes(input) })
                            }
                            results.append(result)
                            if !json {
                                print(String(format: "%-12@ %6d %10.2f %10.2f %10.1f %12.0f  %-7@  %@", architecture.rawValue as NSString,
                                             batch, result.median_ms, result.min_ms, result.images_per_second, result.peak_rss_mb ?? 0,
                                             set.rawValue as NSString, ran.rawValue as NSString))
                                if let steps = result.layers { print(Benchmark.StepTime.table(steps)) }
                            }
                        }
                    }
                }
            }
            if json { try Benchmark.printJSON(results) }
        }
    }
}
