import ArgumentParser
import Foundation
import Kernels
import Models
import NN
import Tensors
import Training

/// `ecg train --benchmark`: the speed of a full training step (forward in training mode,
/// class-weighted loss, backward, AdamW update) per architecture, on random data.
struct TrainBenchmarkOptions: ParsableArguments {
    @Flag(help: "Time training steps on random data instead of training.")
    var benchmark = false

    @Option(help: "With --benchmark: architectures, comma-separated.")
    var architectures: String = Architecture.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "With --benchmark: timed steps per architecture (the median is reported).")
    var steps = 5

    @Option(help: "With --benchmark: untimed steps first.")
    var warmup = 2

    @Flag(help: "With --benchmark: print JSON instead of a table.")
    var json = false

    struct Result: Encodable {
        let architecture: String, batch: Int
        let median_ms: Double, min_ms: Double, images_per_second: Double
    }

    func validate() throws {
        guard steps > 0, warmup >= 0 else {
            throw ValidationError("--steps must be positive and --warmup not negative")
        }
        for name in architectures.split(separator: ",") where Architecture(rawValue: String(name)) == nil {
            throw ValidationError("unknown architecture \(name)")
        }
    }

    /// Times `batch`-image steps of each architecture and prints the results.
    func run(batch: Int) throws {
        var results: [Result] = []
        if !json { print("architecture  batch  median ms/step     min ms   images/s   (threads: \(kernelThreadCount))") }
        for name in architectures.split(separator: ",") {
            let architecture = Architecture(rawValue: String(name))!
            let result = try measure(architecture, batch: batch)
            results.append(result)
            if !json {
                print(String(format: "%-12@ %6d %15.1f %10.1f %10.2f", architecture.rawValue as NSString, batch,
                             result.median_ms, result.min_ms, result.images_per_second))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(["results": results]), as: UTF8.self))
        }
    }

    private func measure(_ architecture: Architecture, batch: Int) throws -> Result {
        let side = architecture.defaultInputSize
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: side, options: NetworkOptions(),
                                               parameters: RandomParameterSource(seed: 1))
        let optimizer = AdamW(weightDecay: 1e-4)
        var generator = SplitMix64(seed: 7)
        let images = Tensor(shape: [batch, side, side, 3]) { x in
            for i in 0 ..< batch * side * side * 3 { x[i] = Float.random(in: 0 ... 1, using: &generator) }
        }
        let labels = (0 ..< batch).map { $0 % 4 }
        var times: [Double] = []
        for run in 0 ..< warmup + steps {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try network.trainingStep(images: images, labels: labels, classWeights: [1, 1.5, 4, 0.8],
                                         auxiliaryLossWeight: architecture.auxiliaryLossWeight, generator: &generator)
            optimizer.step(network.parameters, learningRate: 1e-4)
            if run >= warmup { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        let median = times.sorted()[times.count / 2]
        return Result(architecture: architecture.rawValue, batch: batch, median_ms: median, min_ms: times.min()!,
                      images_per_second: Double(batch) * 1000 / median)
    }
}
