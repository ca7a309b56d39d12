import Determinism
import Foundation
import Kernels
import Models
import NN
import Testing
import Tensors
@testable import Training

/// Random parameters with non-trivial batch normalisation (scale, shift and running statistics
/// away from the identity), so that evaluation mode's use of running statistics shows.
struct NormalisedRandomSource: ParameterSource {
    var seed: UInt64 = 3

    func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        var generator = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        let range: ClosedRange<Float>
        switch role {
        case .weight: return try RandomParameterSource(seed: seed).tensor(name, shape: shape, role: role)
        case .bias, .normShift, .runningMean: range = -0.2...0.2
        case .normScale, .runningVariance: range = 0.5...1.5
        }
        return Tensor(shape: shape) { v in for i in 0..<shape.reduce(1, *) { v[i] = Float.random(in: range, using: &generator) } }
    }
}

/// Zeros of every shape: enough to build a network and list its parameters quickly.
struct ZeroSource: ParameterSource {
    func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor { Tensor(shape: shape) }
}

/// Images of values in [-1, 1).
func randomImages(_ batch: Int, _ size: Int, seed: UInt64 = 11) -> Tensor {
    var generator = SplitMix64(seed: seed)
    return randomTensor([batch, size, size, 3], &generator)
}

/// The largest difference between the trainable network's evaluation output and the inference
/// network built from the same parameter values (probabilities for Keras architectures).
func parityError(_ network: any TrainableNetwork, _ architecture: Architecture, inputSize: Int, images: Tensor) throws -> Float {
    let inference = try architecture.build(parameters: ParameterValues(network.parameters), classes: 4, inputSize: inputSize)
    var trained = try network.logits(images)
    if architecture.outputsProbabilities { trained = trained.softmax() }
    let expected = try inference(images)
    return zip(trained.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
}

/// Plain SGD on one batch; returns the losses.
func sgdLosses(_ network: any TrainableNetwork, images: Tensor, labels: [Int], steps: Int, rate: Float) throws -> [Float] {
    var generator = SplitMix64(seed: 1)
    var losses: [Float] = []
    for _ in 0..<steps {
        let result = try network.trainingStep(images: images, labels: labels, classWeights: [1, 2, 1, 1],
                                               auxiliaryLossWeight: 0.4, generator: &generator)
        losses.append(result.loss)
        for parameter in network.parameters where parameter.isTrainable {
            let (v, g) = (parameter.value.storage.pointer, parameter.gradient.storage.pointer)
            for i in 0..<parameter.value.count { v[i] -= rate * g[i] }
        }
    }
    return losses
}

/// The whole network's gradient against a central difference along it: moving every trainable
/// parameter by `ε · g/|g|` must change the loss by `2ε · |g|`. Dropout repeats (same seed) and
/// batch statistics do not depend on the running ones, so the loss is a fixed function.
/// - Returns: the relative difference between the two slopes.
func directionalError(_ network: any TrainableNetwork, images: Tensor, labels: [Int], step: Float = 1e-4) throws -> Float {
    func loss() throws -> Float {
        var generator = SplitMix64(seed: 1)
        return try network.trainingStep(images: images, labels: labels, classWeights: [1, 2, 1, 1],
                                        auxiliaryLossWeight: 0.4, generator: &generator).loss
    }
    _ = try loss()
    let trainable = network.parameters.filter(\.isTrainable)
    let gradients = trainable.map(\.gradient.scalars)
    let norm = gradients.joined().reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    func move(_ distance: Float) {
        for (parameter, gradient) in zip(trainable, gradients) {
            for i in gradient.indices { parameter.value.storage.pointer[i] += distance * gradient[i] / Float(norm) }
        }
    }
    move(step)
    let plus = try loss()
    move(-2 * step)
    let minus = try loss()
    move(step)
    return abs((plus - minus) / (2 * step) - Float(norm)) / Float(norm)
}

@Suite struct NetworkTests {
    @Test(arguments: Architecture.allCases)
    func parametersAreTheInferenceNetworksInOrder(_ architecture: Architecture) throws {
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: 64, parameters: ZeroSource())
        let expected = try architecture.parameterList(classes: 4, inputSize: 64)
        #expect(network.parameters.map(\.name) == expected.map(\.name))
        #expect(network.parameters.map(\.value.shape) == expected.map(\.shape))
        #expect(network.parameters.filter { !$0.isTrainable }.allSatisfy { $0.name.contains("moving") || $0.name.contains("running") })
    }

    @Test(arguments: [Architecture.smallCNN, .mobileNetV2])
    func evaluationMatchesInferenceBeforeAndAfterTraining(_ architecture: Architecture) throws {
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: 32, parameters: NormalisedRandomSource())
        let images = randomImages(3, 32)
        #expect(try parityError(network, architecture, inputSize: 32, images: images) < 1e-4)
        // Training steps move weights and running statistics; evaluation must follow both.
        _ = try sgdLosses(network, images: randomImages(4, 32, seed: 2), labels: [0, 1, 2, 3], steps: 2, rate: 0.01)
        #expect(try parityError(network, architecture, inputSize: 32, images: images) < 1e-4)
    }

    @Test(arguments: [Architecture.smallCNN, .mobileNetV2])
    func sgdStepsOnATinyBatchReduceTheLoss(_ architecture: Architecture) throws {
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: 32, parameters: RandomParameterSource(seed: 4))
        let losses = try sgdLosses(network, images: randomImages(4, 32, seed: 6), labels: [0, 1, 2, 3], steps: 8, rate: 0.05)
        #expect(losses.last! < 0.7 * losses.first!, "losses \(losses)")
    }

    @Test(arguments: [Architecture.smallCNN, .mobileNetV2])
    func wholeNetworkGradientMatchesADirectionalDifference(_ architecture: Architecture) throws {
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: 64, parameters: NormalisedRandomSource())
        #expect(try directionalError(network, images: randomImages(4, 64, seed: 6), labels: [0, 1, 2, 3]) < 0.05)
    }

    @Test func backboneOnlyFileFallsBackForTheHead() throws {
        let backbone: Set = ["Conv1/kernel", "bn_Conv1/gamma"]
        let source = FallbackParameterSource(primary: ConstantSource(value: 0.5), holds: { name, _ in backbone.contains(name) },
                                             fallback: RandomParameterSource(seed: 1))
        let network = try makeTrainableNetwork(.mobileNetV2, classes: 4, parameters: source)
        #expect(network.parameters.first { $0.name == "Conv1/kernel" }?.value.scalars.allSatisfy { $0 == 0.5 } == true)
        #expect(source.fallbackNames.count == network.parameters.count - 2)
        #expect(!source.fallbackNames.contains("Conv1/kernel"))
    }
}

/// Every value equal to `value`.
struct ConstantSource: ParameterSource {
    let value: Float
    func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor { Tensor(shape: shape, repeating: value) }
}

/// The large architectures at small inputs: VGG16 at its minimum (32), InceptionV3 in
/// evaluation at its minimum (75) and in training at 299, where its auxiliary head fits.
/// Opt-in (`ECG_SLOW_TESTS=1`): each takes seconds to a minute.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ECG_SLOW_TESTS"] == "1"))
struct LargeNetworkTests {
    @Test func vgg16MatchesInferenceAndItsGradientADirectionalDifference() throws {
        let network = try makeTrainableNetwork(.vgg16, classes: 4, parameters: NormalisedRandomSource())
        #expect(try parityError(network, .vgg16, inputSize: 32, images: randomImages(2, 32)) < 1e-4)
        #expect(try directionalError(network, images: randomImages(4, 32, seed: 6), labels: [0, 1, 2, 3]) < 0.05)
    }

    @Test func inceptionV3MatchesInferenceAndTrainsWithItsAuxiliaryHead() throws {
        let network = try makeTrainableNetwork(.inceptionV3, classes: 4, options: .init(transformInput: true),
                                               parameters: NormalisedRandomSource())
        let inference = try Architecture.inceptionV3.build(
            parameters: ParameterValues(network.parameters), classes: 4, options: .init(transformInput: true))
        let images = randomImages(2, 75)
        let difference = zip(try network.logits(images).scalars, try inference(images).scalars).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-3)
        let aux = network.parameters.first { $0.name == "AuxLogits.fc.weight" }!
        var generator = SplitMix64(seed: 1)
        let batch = randomImages(2, 299, seed: 5)
        let without = try network.trainingStep(images: batch, labels: [0, 3], classWeights: nil, auxiliaryLossWeight: 0,
                                               generator: &generator)
        #expect(aux.gradient.scalars.allSatisfy { $0 == 0 })
        let with = try network.trainingStep(images: batch, labels: [0, 3], classWeights: nil, auxiliaryLossWeight: 0.4,
                                            generator: &generator)
        #expect(aux.gradient.scalars.contains { $0 != 0 })
        #expect(with.loss > without.loss * 0.9)
    }
}
