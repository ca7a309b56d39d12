import Checkpoints
import Datasets
import Determinism
import Foundation
import ImageIO
import Models
import NN
import Tensors
import Testing
@testable import Training

/// A test double: softmax regression on flattened inputs with analytic gradients (`x^T (p - y)`
/// weighted per class), plus a running statistic that no optimiser may touch. Small enough to
/// check the training loop before the real networks exist, and it really learns.
private final class SoftmaxRegression: TrainableNetwork {
    let kernel: Parameter, bias: Parameter, runningMean: Parameter
    var parameters: [Parameter] { [kernel, bias, runningMean] }
    private(set) var classWeightsSeen: [Float]?

    init(inputs: Int, classes: Int) {
        kernel = Parameter(name: "dense/kernel", role: .weight(fanIn: inputs, fanOut: classes), initial: Tensor(shape: [inputs, classes]))
        bias = Parameter(name: "dense/bias", role: .bias, initial: Tensor(shape: [classes]))
        runningMean = Parameter(name: "bn/moving_mean", role: .runningMean, initial: Tensor(shape: [1], repeating: 7))
    }

    func logits(_ images: Tensor) throws -> Tensor {
        let (rows, inputs, classes) = (images.shape[0], kernel.value.shape[0], kernel.value.shape[1])
        let x = images.scalars, w = kernel.value.scalars, b = bias.value.scalars
        var out = [Float](repeating: 0, count: rows * classes)
        for n in 0 ..< rows {
            for c in 0 ..< classes {
                out[n * classes + c] = b[c] + (0 ..< inputs).reduce(0) { $0 + x[n * inputs + $1] * w[$1 * classes + c] }
            }
        }
        return try Tensor(shape: [rows, classes], values: out)
    }

    func trainingStep(images: Tensor, labels: [Int], classWeights: [Float]?, auxiliaryLossWeight: Float,
                      generator: inout SplitMix64) throws -> StepResult {
        classWeightsSeen = classWeights
        let logits = try logits(images)
        let (rows, inputs, classes) = (images.shape[0], kernel.value.shape[0], kernel.value.shape[1])
        let x = images.scalars, z = logits.scalars
        let weights = labels.map { classWeights?[$0] ?? 1 }
        let totalWeight = weights.reduce(0, +)
        var loss: Float = 0
        var kernelGradient = [Float](repeating: 0, count: inputs * classes)
        var biasGradient = [Float](repeating: 0, count: classes)
        for n in 0 ..< rows {
            let row = z[n * classes ..< (n + 1) * classes]
            let top = row.max()!
            let exps = row.map { Foundation.exp($0 - top) }
            let sum = exps.reduce(0, +)
            loss += weights[n] * (Foundation.log(sum) + top - row[n * classes + labels[n]])
            for c in 0 ..< classes {
                let delta = weights[n] * (exps[c] / sum - (c == labels[n] ? 1 : 0)) / totalWeight
                biasGradient[c] += delta
                for i in 0 ..< inputs { kernelGradient[i * classes + c] += x[n * inputs + i] * delta }
            }
        }
        kernel.gradient.withMutablePointer { $0.update(from: kernelGradient, count: kernelGradient.count) }
        bias.gradient.withMutablePointer { $0.update(from: biasGradient, count: biasGradient.count) }
        return StepResult(loss: loss / totalWeight, logits: logits)
    }
}

/// Four Gaussian blobs in 6 dimensions, shaped as `N x 1 x 2 x 3` images.
private func blobs(count: Int, seed: UInt64, flipLabels: Bool = false) throws -> (images: Tensor, labels: [Int]) {
    var generator = SplitMix64(seed: seed)
    var values: [Float] = [], labels: [Int] = []
    for n in 0 ..< count {
        let label = n % 4
        for i in 0 ..< 6 {
            let centre: Float = i % 4 == label ? 2 : 0
            values.append(centre + Float.random(in: -1 ... 1, using: &generator))
        }
        labels.append(flipLabels ? (label + 1) % 4 : label)
    }
    return (try Tensor(shape: [count, 1, 2, 3], values: values), labels)
}

private func source(_ data: (images: Tensor, labels: [Int]), shuffled: Bool = true) -> InMemoryBatches {
    InMemoryBatches(images: data.images, labels: data.labels, batchSize: 16, shuffled: shuffled, seed: 3)
}

@Test func trainerLearnsASeparableProblemAndLogsEveryEpoch() throws {
    let network = SoftmaxRegression(inputs: 6, classes: 4)
    let recipe = Recipe(name: "test", phases: [TrainingPhase(name: "all", epochs: 12, learningRate: 0.05, trainable: .all)],
                        earlyStoppingPatience: nil)
    let trainer = Trainer(network: network, recipe: recipe, classWeights: [1, 1, 2, 1], seed: 1)
    var steps = 0
    trainer.onEvent = { if case .step = $0 { steps += 1 } }
    let validation = source(try blobs(count: 64, seed: 2), shuffled: false)
    let before = try trainer.evaluate(on: validation)
    let summary = try trainer.run(train: source(try blobs(count: 128, seed: 1)), validation: validation)
    let after = try trainer.evaluate(on: validation)

    #expect(before.accuracy <= 0.5)
    #expect(after.accuracy > 0.9, "validation accuracy \(after.accuracy)")
    #expect(after.meanLoss < before.meanLoss / 2)
    #expect(steps == 12 * 8)
    #expect(summary.records.count == 24)
    #expect(summary.records.map(\.split) == Array(repeating: [EpochRecord.Split.train, .val], count: 12).flatMap { $0 })
    #expect(summary.records.last!.epoch == 12)
    #expect(network.classWeightsSeen == [1, 1, 2, 1])
    #expect(network.runningMean.value.scalars == [7])
}

@Test func trainingRunsRepeatExactlyForASeed() throws {
    func train() throws -> [Float] {
        let network = SoftmaxRegression(inputs: 6, classes: 4)
        let trainer = Trainer(network: network, recipe: .scratch(.smallCNN, epochs: 3, learningRate: 0.01), seed: 9)
        _ = try trainer.run(train: source(try blobs(count: 64, seed: 1)), validation: nil)
        return network.kernel.value.scalars + network.bias.value.scalars
    }
    let first = try train()
    #expect(first == (try train()))
    #expect(first.contains { $0 != 0 })
}

@Test func aPhaseTrainsOnlyTheParametersItsPrefixesSelect() throws {
    let network = SoftmaxRegression(inputs: 6, classes: 4)
    let recipe = Recipe(name: "test", phases: [
        TrainingPhase(name: "head", epochs: 2, learningRate: 0.05, trainable: .prefixes(["dense/bias"])),
    ])
    _ = try Trainer(network: network, recipe: recipe).run(train: source(try blobs(count: 32, seed: 1)), validation: nil)
    #expect(network.kernel.value.scalars.allSatisfy { $0 == 0 })
    #expect(network.bias.value.scalars.contains { $0 != 0 })
}

@Test func earlyStoppingEndsTheRunAndRestoresTheBestEpochsWeights() throws {
    // Validation labels are shifted by one class, so learning the training labels makes the
    // validation loss worse from the first epoch on.
    let network = SoftmaxRegression(inputs: 6, classes: 4)
    let recipe = Recipe(name: "test", phases: [TrainingPhase(name: "all", epochs: 20, learningRate: 0.05, trainable: .all)],
                        schedule: .constant, earlyStoppingPatience: 3)
    let trainer = Trainer(network: network, recipe: recipe)
    var saves = 0, stoppedAt: Int?
    trainer.saveBest = { saves += 1 }
    trainer.onEvent = { if case let .stoppedEarly(epoch, _) = $0 { stoppedAt = epoch } }
    let validation = source(try blobs(count: 32, seed: 2, flipLabels: true), shuffled: false)
    let summary = try trainer.run(train: source(try blobs(count: 64, seed: 1)), validation: validation)

    #expect(summary.bestEpoch == 1)
    #expect(stoppedAt == 4)
    #expect(saves == 1)
    #expect(summary.records.count == 8)
    let restored = try trainer.evaluate(on: validation).meanLoss
    #expect(abs(restored - summary.bestValidationLoss!) < 1e-6)
    #expect(restored < summary.records.last!.loss)
}

@Test func aRunFromGoodWeightsKeepsThemWhenNoEpochDoesBetter() throws {
    // Train properly, then "fine-tune" on shifted labels: every epoch is worse, so epoch 0 stays.
    let network = SoftmaxRegression(inputs: 6, classes: 4)
    let validation = source(try blobs(count: 32, seed: 2), shuffled: false)
    _ = try Trainer(network: network, recipe: .scratch(.smallCNN, epochs: 8, learningRate: 0.05))
        .run(train: source(try blobs(count: 64, seed: 1)), validation: validation)
    let trained = network.kernel.value.scalars
    let trainer = Trainer(network: network, recipe: Recipe(name: "test", phases: [
        TrainingPhase(name: "all", epochs: 3, learningRate: 0.05, trainable: .all)], earlyStoppingPatience: nil))
    trainer.validatesInitialWeights = true
    var saves = 0
    trainer.saveBest = { saves += 1 }
    let summary = try trainer.run(train: source(try blobs(count: 64, seed: 1, flipLabels: true)), validation: validation)
    #expect(summary.bestEpoch == 0 && saves == 1)
    #expect(summary.records.first?.epoch == 0 && summary.records.count == 7)
    #expect(network.kernel.value.scalars == trained)
}

@Test func fineTuneRecipesFreezeTheBackboneThenUnfreezeTheTopBlocksAtATenthOfTheRate() {
    let recipe = Recipe.fineTune(.mobileNetV2, headEpochs: 3, fineTuneEpochs: 2, learningRate: 1e-3)
    #expect(recipe.phases.map(\.epochs) == [3, 2])
    #expect(abs(recipe.phases[1].learningRate - 1e-4) < 1e-10)
    let head = recipe.phases[0].trainable, top = recipe.phases[1].trainable
    #expect(head.contains("dense_1/kernel") && !head.contains("block_16_project/kernel"))
    #expect(top.contains("block_16_project/kernel") && top.contains("Conv_1_bn/gamma") && top.contains("dense/bias"))
    #expect(!top.contains("block_12_expand/kernel") && !top.contains("Conv1/kernel"))
    let vgg = Recipe.fineTune(.vgg16, headEpochs: 1, fineTuneEpochs: 1, learningRate: 1e-3).phases[1].trainable
    #expect(vgg.contains("features.24.weight") && !vgg.contains("features.2.weight"))
    #expect(Recipe.scratch(.inceptionV3, epochs: 1, learningRate: 1e-3).auxiliaryLossWeight == 0.4)
    // Keras batch normalisation stays in inference mode while fine-tuning; a 0-epoch head phase is left out.
    let gamma = Parameter(name: "block_16_project_BN/gamma", role: .normScale, initial: Tensor(shape: [1]))
    let kernel = Parameter(name: "block_16_project/kernel", role: .weight(fanIn: 1, fanOut: 1), initial: Tensor(shape: [1]))
    #expect(!recipe.phases[1].trains(gamma) && recipe.phases[1].trains(kernel) && !recipe.phases[0].trains(kernel))
    let onlyTop = Recipe.fineTune(.mobileNetV2, headEpochs: 0, fineTuneEpochs: 4, learningRate: 1e-3)
    #expect(onlyTop.phases.map(\.name) == ["top-blocks"])
}

@Test func savedWeightsCarryEveryParameterAndTheMetadata() throws {
    let network = SoftmaxRegression(inputs: 6, classes: 4)
    network.bias.value.withMutablePointer { $0.update(from: [0.5, -1, 2, 0.25], count: 4) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let metadata = WeightsMetadata(architecture: .smallCNN, classes: ["a", "b", "c", "d"], 
                                   input: InputSpec(inputSize: 2, resize: .bicubic, preprocessing: .rescale,
                                                    crop: CropBox(left: 0.1, top: 0.2, right: 0.9, bottom: 0.8)),
                                   provenance: "test run", trained: true)
    try network.saveWeights(to: url, metadata: metadata, dtype: .f16)
    let file = try SafetensorsFile(contentsOf: url)
    #expect(try WeightsMetadata(file: file) == metadata)
    #expect(try file.tensor("dense/bias", expectedShape: [4]).scalars == [0.5, -1, 2, 0.25])
    #expect(try file.tensor("bn/moving_mean", expectedShape: [1]).scalars == [7])
}

@Test func epochRecordsAreOneLineOfJSONWithTheLogKeys() throws {
    let record = EpochRecord(epoch: 2, split: .val, phase: "head", loss: 0.5, accuracy: 0.75, learningRate: 0.001,
                             imagesPerSecond: 12.5, elapsedSeconds: 30)
    let object = try JSONSerialization.jsonObject(with: Data(record.jsonLine.utf8)) as! [String: Any]
    #expect(Set(object.keys) == ["epoch", "split", "phase", "loss", "accuracy", "learning_rate", "images_per_second", "elapsed_s"])
    #expect(object["split"] as? String == "val")
    #expect(!record.jsonLine.contains("\n"))
}

@Test func scratchNetworksStartWithTheirFrameworksInitialiser() throws {
    #expect(Architecture.smallCNN.weightInitialiser == .glorotUniform)
    #expect(Architecture.vgg16.weightInitialiser == .heUniform)
    let network = try makeTrainableNetwork(.smallCNN, classes: 4, inputSize: 16, parameters: RandomParameterSource(
        seed: 1, initialiser: Architecture.smallCNN.weightInitialiser))
    let byName = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.scalars) })
    // Glorot: ±sqrt(6 / (27 + 144)) for the first 3x3 convolution (3 -> 16 channels), not He's ±sqrt(6 / 27).
    let conv = byName["conv2d/kernel"]!
    #expect(conv.allSatisfy { abs($0) <= (6.0 / 171.0).squareRoot() })
    #expect(conv.map { abs($0) }.max()! > 0.9 * (6.0 / 171.0).squareRoot())
    #expect(byName["conv2d/bias"]!.allSatisfy { $0 == 0 })
}
