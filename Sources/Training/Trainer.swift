import Datasets
import Determinism
import Foundation
import Tensors

/// Where training stands after a step, for progress bars.
public struct StepProgress: Sendable {
    /// The epoch, from 1 across all phases, and the planned number of epochs.
    public var epoch: Int, epochs: Int
    /// The step within the epoch, from 1, and the epoch's number of steps.
    public var step: Int, steps: Int
    /// Steps done so far in the whole run, and the planned total (an upper bound: early stopping may end sooner).
    public var completedSteps: Int, totalSteps: Int
    /// The epoch's running mean loss and accuracy.
    public var loss: Float, accuracy: Float
    /// Training images per second over the epoch so far.
    public var imagesPerSecond: Float
    /// Seconds since training started.
    public var elapsedSeconds: Double
}

/// Something that happened during training.
public enum TrainingEvent: Sendable {
    case phaseStarted(TrainingPhase)
    case step(StepProgress)
    case epochFinished(EpochRecord)
    /// A better validation loss was reached (or, without validation, training ended): weights saved.
    case bestEpoch(epoch: Int, validationLoss: Float?)
    case stoppedEarly(epoch: Int, bestEpoch: Int)
}

/// What a training run achieved.
public struct TrainingSummary: Sendable {
    /// Every epoch's records, train then val.
    public var records: [EpochRecord]
    /// The epoch whose weights the network holds at the end (the best validation loss), from 1;
    /// 0 when no epoch beat the initial weights.
    public var bestEpoch: Int
    /// That epoch's validation loss (nil without validation data).
    public var bestValidationLoss: Float?
    public var elapsedSeconds: Double
}

/// Runs a recipe on a trainable network: phase by phase, epoch by epoch, one optimiser step per
/// batch, with validation, learning-rate schedule, early stopping, and best-weight restore.
///
/// At the end the network holds the weights of the epoch with the lowest validation loss over
/// the whole run (the last epoch's without validation data), and `saveBest` has been called
/// with them.
public final class Trainer {
    public let network: any TrainableNetwork
    public let recipe: Recipe
    /// Per-class loss weights (`ClassWeights.balanced`); nil weighs every class 1.
    public var classWeights: [Float]?
    /// Seeds dropout; the batch sources seed their own shuffling and augmentation.
    public var seed: UInt64
    /// Called with every event, on the training thread.
    public var onEvent: (TrainingEvent) -> Void = { _ in }
    /// Called whenever the network holds new best weights: writes the checkpoint.
    public var saveBest: () throws -> Void = {}
    /// Validate the starting weights first (epoch 0), so a run that starts from trained weights
    /// (`--init`) keeps them unless an epoch does better.
    public var validatesInitialWeights = false

    public init(network: any TrainableNetwork, recipe: Recipe, classWeights: [Float]? = nil, seed: UInt64 = 0) {
        self.network = network
        self.recipe = recipe
        self.classWeights = classWeights
        self.seed = seed
    }

    /// Trains on `train`, validating on `validation` after every epoch when given.
    public func run(train: BatchSource, validation: BatchSource?) throws -> TrainingSummary {
        let start = Date()
        var generator = SplitMix64(seed: seed)
        var records: [EpochRecord] = []
        var best: (epoch: Int, loss: Float, weights: WeightSnapshot)?
        let plannedEpochs = recipe.phases.reduce(0) { $0 + $1.epochs }
        let totalSteps = plannedEpochs * train.batchCount
        var epoch = 0, completedSteps = 0
        if validatesInitialWeights, let validation {
            let scores = try evaluate(on: validation)
            let record = EpochRecord(epoch: 0, split: .val, phase: "initial", loss: scores.meanLoss, accuracy: scores.accuracy,
                                     learningRate: 0, imagesPerSecond: 0, elapsedSeconds: Date().timeIntervalSince(start))
            records.append(record)
            onEvent(.epochFinished(record))
            best = (0, scores.meanLoss, WeightSnapshot(network.parameters))
        }

        for phase in recipe.phases {
            onEvent(.phaseStarted(phase))
            for parameter in network.parameters {
                parameter.isTrainable = phase.trains(parameter)
            }
            let optimizer = recipe.makeOptimizer()
            var schedule = recipe.schedule.make()
            var stopping = recipe.earlyStoppingPatience.map { EarlyStopping(patience: $0) }
            var learningRate = phase.learningRate

            for _ in 0 ..< phase.epochs {
                epoch += 1
                let epochStart = Date()
                var meter = Meter()
                var step = 0
                try train.forEachBatch(epoch: epoch - 1) { batch in
                    let result = try network.trainingStep(
                        images: batch.images, labels: batch.labels, classWeights: classWeights,
                        auxiliaryLossWeight: recipe.auxiliaryLossWeight, generator: &generator)
                    optimizer.step(network.parameters, learningRate: learningRate)
                    meter.add(loss: result.loss, logits: result.logits, labels: batch.labels)
                    step += 1
                    completedSteps += 1
                    onEvent(.step(StepProgress(
                        epoch: epoch, epochs: plannedEpochs, step: step, steps: train.batchCount,
                        completedSteps: completedSteps, totalSteps: totalSteps, loss: meter.meanLoss,
                        accuracy: meter.accuracy, imagesPerSecond: meter.rate(since: epochStart),
                        elapsedSeconds: Date().timeIntervalSince(start))))
                }
                let trainRecord = EpochRecord(
                    epoch: epoch, split: .train, phase: phase.name, loss: meter.meanLoss, accuracy: meter.accuracy,
                    learningRate: learningRate, imagesPerSecond: meter.rate(since: epochStart),
                    elapsedSeconds: Date().timeIntervalSince(start))
                records.append(trainRecord)
                onEvent(.epochFinished(trainRecord))

                guard let validation else { continue }
                let validationStart = Date()
                let scores = try evaluate(on: validation)
                let validationRecord = EpochRecord(
                    epoch: epoch, split: .val, phase: phase.name, loss: scores.meanLoss, accuracy: scores.accuracy,
                    learningRate: learningRate, imagesPerSecond: scores.rate(since: validationStart),
                    elapsedSeconds: Date().timeIntervalSince(start))
                records.append(validationRecord)
                onEvent(.epochFinished(validationRecord))

                if scores.meanLoss < best?.loss ?? .infinity {
                    best = (epoch, scores.meanLoss, WeightSnapshot(network.parameters))
                    try saveBest()
                    onEvent(.bestEpoch(epoch: epoch, validationLoss: scores.meanLoss))
                }
                learningRate = schedule.learningRate(after: epoch - 1, current: learningRate, validationLoss: scores.meanLoss)
                if let decision = stopping?.update(validationLoss: scores.meanLoss, epoch: epoch), decision.shouldStop {
                    onEvent(.stoppedEarly(epoch: epoch, bestEpoch: stopping?.bestEpoch ?? epoch))
                    break
                }
            }
            // The next phase starts from the best weights so far, as Keras's restore_best_weights does.
            best?.weights.restore()
        }

        if best == nil || best?.epoch == 0 {
            try saveBest()
            onEvent(.bestEpoch(epoch: best?.epoch ?? epoch, validationLoss: best?.loss))
        }
        return TrainingSummary(records: records, bestEpoch: best?.epoch ?? epoch, bestValidationLoss: best?.loss,
                               elapsedSeconds: Date().timeIntervalSince(start))
    }

    /// Mean cross-entropy and accuracy of the network in evaluation mode over `source`'s epoch 0.
    public func evaluate(on source: BatchSource) throws -> Meter {
        var meter = Meter()
        try source.forEachBatch(epoch: 0) { batch in
            let logits = try network.logits(batch.images)
            meter.add(loss: Meter.crossEntropy(logits: logits, labels: batch.labels), logits: logits, labels: batch.labels)
        }
        return meter
    }
}

/// Running loss and accuracy over the batches of an epoch.
public struct Meter: Sendable {
    private var lossSum: Double = 0
    private var correct = 0
    /// Images seen so far.
    public private(set) var count = 0

    public init() {}

    /// Adds a batch whose mean loss was `loss`.
    public mutating func add(loss: Float, logits: Tensor, labels: [Int]) {
        lossSum += Double(loss) * Double(labels.count)
        count += labels.count
        let classes = logits.shape[1]
        let scores = logits.scalars
        for (row, label) in labels.enumerated() {
            let slice = scores[row * classes ..< (row + 1) * classes]
            if slice.indices.max(by: { slice[$0] < slice[$1] }) == row * classes + label { correct += 1 }
        }
    }

    public var meanLoss: Float { count == 0 ? .nan : Float(lossSum / Double(count)) }
    public var accuracy: Float { count == 0 ? .nan : Float(correct) / Float(count) }

    /// Images per second since `start`.
    public func rate(since start: Date) -> Float {
        Float(Double(count) / max(Date().timeIntervalSince(start), 1e-9))
    }

    /// The mean softmax cross-entropy of `logits` (`N x classes`) against `labels`.
    public static func crossEntropy(logits: Tensor, labels: [Int]) -> Float {
        let classes = logits.shape[1]
        let scores = logits.scalars
        var total: Double = 0
        for (row, label) in labels.enumerated() {
            let slice = scores[row * classes ..< (row + 1) * classes]
            let top = slice.max()!
            let logSum = Double(top) + log(slice.reduce(0.0) { $0 + exp(Double($1 - top)) })
            total += logSum - Double(slice[row * classes + label])
        }
        return Float(total / Double(max(labels.count, 1)))
    }
}
