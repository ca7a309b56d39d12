import Dispatch
import Models
import NN
import Tensors

/// How long one training step (forward, backward, gradients of every parameter) takes.
public struct TrainingStepTiming: Sendable {
    public var architecture: Architecture
    public var batch: Int
    public var inputSize: Int
    /// The median over the timed steps, in seconds.
    public var medianSeconds: Double
    /// Images per second at the median.
    public var imagesPerSecond: Double { Double(batch) / medianSeconds }

    /// Times `steps` training steps (after `warmup` untimed ones) of a randomly initialised
    /// network on random images, all parameters trainable; no optimiser update is included.
    /// - Parameters:
    ///   - inputSize: the side of the input (default: the architecture's).
    /// - Throws: the network's error for an input it cannot take.
    public static func measure(
        _ architecture: Architecture, batch: Int, inputSize: Int? = nil, steps: Int = 5, warmup: Int = 1
    ) throws -> TrainingStepTiming {
        let size = inputSize ?? architecture.defaultInputSize
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: size,
                                               parameters: RandomParameterSource(seed: 1))
        var generator = SplitMix64(seed: 2)
        let images = Tensor(shape: [batch, size, size, 3]) { x in
            for i in 0..<(batch * size * size * 3) { x[i] = Float.random(in: -1...1, using: &generator) }
        }
        let labels = (0..<batch).map { $0 % 4 }
        var seconds: [Double] = []
        for step in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try network.trainingStep(images: images, labels: labels, classWeights: nil, auxiliaryLossWeight: 0.4,
                                         generator: &generator)
            if step >= warmup { seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        return TrainingStepTiming(architecture: architecture, batch: batch, inputSize: size,
                                  medianSeconds: seconds.sorted()[seconds.count / 2])
    }
}
