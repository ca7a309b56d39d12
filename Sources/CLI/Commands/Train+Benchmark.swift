import ArgumentParser
import Determinism
import Foundation
import Models
import NN
import Training

/// `ecg train --benchmark`: the speed of a full training step (forward in training mode,
/// class-weighted loss, backward, AdamW update) per architecture, on random data.
struct TrainBenchmarkOptions: ParsableArguments {
    @Flag(help: "Time training steps on random data instead of training.")
    var benchmark = false

    @Option(help: "With --benchmark: architectures, comma-separated.")
    var architectures: ArchitectureList = .all

    @Option(help: "With --benchmark: timed steps per architecture (the median is reported).")
    var steps = 5

    @Option(help: "With --benchmark: untimed steps first.")
    var warmup = 2

    @Flag(help: "With --benchmark: print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard steps > 0, warmup >= 0 else {
            throw ValidationError("--steps must be positive and --warmup not negative")
        }
    }

    /// Times `batch`-image steps of each architecture and prints the results.
    func run(batch: Int) throws {
        var results: [Benchmark.Result] = []
        if !json { print(Benchmark.header("median ms/step     min ms   images/s")) }
        for architecture in architectures.architectures {
            let result = try measure(architecture, batch: batch)
            results.append(result)
            if !json {
                print(String(format: "%-12@ %6d %15.1f %10.1f %10.2f", architecture.rawValue as NSString, batch,
                             result.median_ms, result.min_ms, result.images_per_second))
            }
        }
        if json { try Benchmark.printJSON(results) }
    }

    private func measure(_ architecture: Architecture, batch: Int) throws -> Benchmark.Result {
        let side = architecture.defaultInputSize
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: side, options: NetworkOptions(),
                                               parameters: RandomParameterSource(seed: 1))
        let optimizer = AdamW(weightDecay: 1e-4)
        var generator = SplitMix64(seed: 7)
        let images = Benchmark.randomImages(batch: batch, side: side)
        let labels = (0 ..< batch).map { $0 % 4 }
        let time = try Benchmark.time(warmup: warmup, runs: steps) {
            _ = try network.trainingStep(images: images, labels: labels, classWeights: [1, 1.5, 4, 0.8],
                                         auxiliaryLossWeight: architecture.auxiliaryLossWeight, generator: &generator)
            optimizer.step(network.parameters, learningRate: 1e-4)
        }
        return Benchmark.Result(architecture: architecture.rawValue, batch: batch, median_ms: time.median, min_ms: time.min,
                                images_per_second: Double(batch) * 1000 / time.median, peak_rss_mb: nil)
    }
}
