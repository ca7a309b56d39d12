/// How the learning rate changes from one epoch to the next.
public protocol LearningRateSchedule {
    /// The learning rate for the epoch after `epoch` (counted from 0), given the rate `epoch`
    /// used and its validation loss.
    mutating func learningRate(after epoch: Int, current: Float, validationLoss: Float) -> Float
}

/// The same rate throughout.
public struct ConstantSchedule: LearningRateSchedule {
    public init() {}
    public func learningRate(after epoch: Int, current: Float, validationLoss: Float) -> Float { current }
}

/// Multiplies the rate by `gamma` every `stepSize` epochs, as PyTorch's `StepLR`.
///
/// See: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.StepLR.html
public struct StepSchedule: LearningRateSchedule {
    public let stepSize: Int
    public let gamma: Float

    public init(stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "step size must be positive")
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(after epoch: Int, current: Float, validationLoss: Float) -> Float {
        (epoch + 1) % stepSize == 0 ? current * gamma : current
    }
}

/// Multiplies the rate by `factor` once the validation loss has not improved for more than
/// `patience` epochs, as PyTorch's `ReduceLROnPlateau` in mode `min` with a relative threshold.
///
/// An epoch improves when its loss is below `best * (1 - threshold)`. After a reduction the
/// schedule waits `cooldown` epochs before counting bad epochs again, and never goes below `minimum`.
///
/// See: https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html
public struct ReduceLROnPlateau: LearningRateSchedule {
    public let factor: Float
    public let patience: Int
    public let threshold: Float
    public let cooldown: Int
    public let minimum: Float
    private var best = Float.infinity
    private var badEpochs = 0
    private var cooldownLeft = 0

    public init(factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4, cooldown: Int = 0, minimum: Float = 0) {
        precondition(factor > 0 && factor < 1, "factor must be in (0, 1)")
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimum = minimum
    }

    public mutating func learningRate(after epoch: Int, current: Float, validationLoss: Float) -> Float {
        if validationLoss < best * (1 - threshold) {
            best = validationLoss
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        guard badEpochs > patience else { return current }
        cooldownLeft = cooldown
        badEpochs = 0
        let reduced = max(current * factor, minimum)
        return current - reduced > 1e-8 ? reduced : current
    }
}
