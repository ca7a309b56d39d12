import Models

/// Which parameters a training phase updates, by the reference framework's parameter names.
public enum ParameterSelection: Sendable, Equatable {
    /// Every learned parameter.
    case all
    /// The learned parameters whose name starts with one of these prefixes (`block_13_`,
    /// `features.24.`, `Mixed_7`); every other parameter stays frozen.
    case prefixes([String])

    /// Whether the parameter called `name` is trained.
    public func contains(_ name: String) -> Bool {
        switch self {
        case .all: true
        case .prefixes(let prefixes): prefixes.contains { name.hasPrefix($0) }
        }
    }
}

/// One stretch of training with a fixed set of trainable parameters and a starting learning
/// rate: "train the new head on a frozen backbone", "fine-tune the top blocks".
public struct TrainingPhase: Sendable, Equatable {
    public var name: String
    public var epochs: Int
    public var learningRate: Float
    public var trainable: ParameterSelection
    /// Keep every batch normalisation's scale and shift frozen, so Keras layers stay in inference
    /// mode (running statistics): Keras's advice for fine-tuning, since batch statistics of a small
    /// batch of ECG pages are far from the pretrained running ones.
    public var freezesNormalization: Bool

    public init(name: String, epochs: Int, learningRate: Float, trainable: ParameterSelection,
                freezesNormalization: Bool = false) {
        self.name = name
        self.epochs = epochs
        self.learningRate = learningRate
        self.trainable = trainable
        self.freezesNormalization = freezesNormalization
    }

    /// Whether the phase trains `parameter`.
    public func trains(_ parameter: Parameter) -> Bool {
        guard parameter.role.isLearned, trainable.contains(parameter.name) else { return false }
        return !(freezesNormalization && (parameter.role == .normScale || parameter.role == .normShift))
    }
}

/// The optimisers `ecg train` offers.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// `AdamW`.
    case adam
    /// `SGD` with momentum 0.9.
    case sgd
}

/// How the learning rate moves within a phase.
public enum ScheduleKind: Sendable, Equatable {
    case constant
    /// `ReduceLROnPlateau` on the validation loss.
    case plateau(patience: Int, factor: Float)
    /// `StepSchedule`.
    case step(every: Int, gamma: Float)

    /// A fresh schedule of this kind.
    public func make() -> any LearningRateSchedule {
        switch self {
        case .constant: ConstantSchedule()
        case let .plateau(patience, factor): ReduceLROnPlateau(factor: factor, patience: patience)
        case let .step(every, gamma): StepSchedule(stepSize: every, gamma: gamma)
        }
    }
}

/// Everything about how a network is trained apart from the data: phases, optimiser, schedule,
/// early stopping, auxiliary loss. Each phase starts a fresh optimiser and schedule, as
/// recompiling a Keras model between `fit` calls does.
public struct Recipe: Sendable, Equatable {
    /// A short name recorded in the weights' provenance (`scratch`, `finetune`).
    public var name: String
    public var phases: [TrainingPhase]
    public var optimizer: OptimizerKind
    /// AdamW's decoupled weight decay, or SGD's L2 penalty; kernels only.
    public var weightDecay: Float
    public var schedule: ScheduleKind
    /// Stop a phase after this many epochs without a better validation loss; nil never stops early.
    public var earlyStoppingPatience: Int?
    /// The weight of the auxiliary head's loss (InceptionV3's `AuxLogits`: 0.4); 0 elsewhere.
    public var auxiliaryLossWeight: Float

    public init(name: String, phases: [TrainingPhase], optimizer: OptimizerKind = .adam, weightDecay: Float = 1e-4,
                schedule: ScheduleKind = .plateau(patience: 2, factor: 0.5), earlyStoppingPatience: Int? = 5,
                auxiliaryLossWeight: Float = 0) {
        self.name = name
        self.phases = phases
        self.optimizer = optimizer
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.earlyStoppingPatience = earlyStoppingPatience
        self.auxiliaryLossWeight = auxiliaryLossWeight
    }

    /// A fresh optimiser of the recipe's kind.
    public func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case .adam: AdamW(weightDecay: weightDecay)
        case .sgd: SGD(momentum: 0.9, weightDecay: weightDecay)
        }
    }

    /// Every parameter trained from the start, in one phase.
    public static func scratch(_ architecture: Architecture, epochs: Int, learningRate: Float) -> Recipe {
        Recipe(name: "scratch", phases: [TrainingPhase(name: "all", epochs: epochs, learningRate: learningRate, trainable: .all)],
               auxiliaryLossWeight: architecture.auxiliaryLossWeight)
    }

    /// The old notebooks' transfer recipe: the new head on a frozen (pretrained) backbone, then the
    /// top blocks unfrozen with the head at `fineTuneLearningRate` (a tenth of the first rate by
    /// default). A phase of 0 epochs is left out (fine-tune a head trained earlier with `--init`).
    /// Keras architectures keep batch normalisation in inference mode throughout.
    public static func fineTune(_ architecture: Architecture, headEpochs: Int, fineTuneEpochs: Int, learningRate: Float,
                                fineTuneLearningRate: Float? = nil) -> Recipe {
        let keras = architecture.framework == .keras
        let phases = [
            TrainingPhase(name: "head", epochs: headEpochs, learningRate: learningRate,
                          trainable: .prefixes(architecture.headPrefixes)),
            TrainingPhase(name: "top-blocks", epochs: fineTuneEpochs, learningRate: fineTuneLearningRate ?? learningRate / 10,
                          trainable: .prefixes(architecture.headPrefixes + architecture.topBlockPrefixes),
                          freezesNormalization: keras),
        ]
        return Recipe(name: "finetune", phases: phases.filter { $0.epochs > 0 }, auxiliaryLossWeight: architecture.auxiliaryLossWeight)
    }
}
