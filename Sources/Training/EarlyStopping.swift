import Tensors

/// Stops training once the validation loss has not improved by more than `minDelta` for
/// `patience` epochs in a row, as Keras's `EarlyStopping(monitor="val_loss")`; the trainer then
/// restores the weights of the best epoch.
public struct EarlyStopping: Sendable {
    public let patience: Int
    public let minDelta: Float
    /// The lowest validation loss so far.
    public private(set) var best = Float.infinity
    /// The epoch that reached `best`, nil before the first update.
    public private(set) var bestEpoch: Int?
    private var epochsWithoutImprovement = 0

    public init(patience: Int, minDelta: Float = 0) {
        precondition(patience > 0, "patience must be positive")
        self.patience = patience
        self.minDelta = minDelta
    }

    /// What an epoch's validation loss means for training.
    public struct Decision: Equatable, Sendable {
        /// The epoch is the best so far: save its weights.
        public var improved: Bool
        /// Patience has run out: stop after this epoch.
        public var shouldStop: Bool
    }

    /// Records `epoch`'s validation loss.
    public mutating func update(validationLoss: Float, epoch: Int) -> Decision {
        if validationLoss < best - minDelta {
            best = validationLoss
            bestEpoch = epoch
            epochsWithoutImprovement = 0
            return Decision(improved: true, shouldStop: false)
        }
        epochsWithoutImprovement += 1
        return Decision(improved: false, shouldStop: epochsWithoutImprovement >= patience)
    }
}

/// A copy of every parameter's value (running statistics included), to put back later: the
/// best epoch's weights.
public struct WeightSnapshot {
    private let saved: [(parameter: Parameter, value: [Float])]

    /// Copies the current values of `parameters`.
    public init(_ parameters: [Parameter]) {
        saved = parameters.map { ($0, $0.value.scalars) }
    }

    /// Writes the saved values back into their parameters.
    public func restore() {
        for (parameter, value) in saved {
            parameter.value.withMutablePointer { destination in
                value.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
    }
}
