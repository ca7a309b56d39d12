import ImageIO
import NN

/// An architecture's layers, declared once, with its forward pass written once over
/// `NetworkOps`: built by `InferenceLayerFactory` it runs as the inference network
/// (`InferenceNetwork`), built by Training's factory it runs on an autograd tape, and built by
/// `SpecLayerFactory` it lists its parameters. Like a torchvision `nn.Module` that serves both
/// `eval()` and training.
public protocol ArchitectureDefinition<Conv, Linear>: Sendable {
    associatedtype Conv: Sendable
    associatedtype Linear: Sendable

    /// `N x H x W x 3` preprocessed images → logits (and, in training, auxiliary logits).
    func forward<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> ForwardOutput<Ops.Value>
    where Ops.Conv == Conv, Ops.Linear == Linear
}

/// What a network is built for: its class count, input side and per-model options.
public struct NetworkConfiguration: Sendable {
    public var classes: Int
    /// The side of the square input (the small CNN's dense layer depends on it).
    public var inputSize: Int
    public var options: NetworkOptions

    public init(classes: Int, inputSize: Int, options: NetworkOptions = .init()) {
        (self.classes, self.inputSize, self.options) = (classes, inputSize, options)
    }
}

/// Receives an architecture's layers, built by `factory`, and makes something of them: an
/// inference network, a trainable network, a parameter list. (Swift has no generic type
/// parameters for protocols, so the family hands its concrete layer type to the maker.)
public protocol NetworkMaker {
    associatedtype Factory: LayerFactory
    associatedtype Product
    var factory: Factory { get }
    func make<Definition: ArchitectureDefinition>(_ definition: Definition) throws -> Product
    where Definition.Conv == Factory.Conv, Definition.Linear == Factory.Linear
}

/// One architecture: its facts and the way to build its layers with any factory. Each
/// architecture is one file that defines a type conforming to this, plus its case in
/// `Architecture` (see docs/adding-an-architecture.md).
public protocol ArchitectureFamily {
    /// Everything else the code base needs to know about the architecture.
    static var facts: ArchitectureFacts { get }
    /// Builds the layers with `maker.factory` for `configuration` and hands them to `maker`.
    static func make<Maker: NetworkMaker>(_ maker: Maker, _ configuration: NetworkConfiguration) throws -> Maker.Product
}

/// The facts about an architecture that are not its layers: names, framework, training recipe
/// groups, and its default input contract.
public struct ArchitectureFacts: Sendable {
    /// Human-readable name (`MobileNetV2`).
    public var displayName: String
    /// The framework whose names, layouts and arithmetic the architecture reproduces; Keras
    /// models end in a softmax, torchvision ones in logits, and each draws fresh kernels with
    /// its framework's default initialiser.
    public var framework: Architecture.Framework
    /// Name prefixes of the classifier head the original app put on the backbone (trained first
    /// when fine-tuning).
    public var headPrefixes: [String]
    /// Name prefixes of the backbone's top blocks, unfrozen in the second fine-tuning phase.
    public var topBlockPrefixes: [String]
    /// The auxiliary classifier's loss weight in training (0 without one).
    public var auxiliaryLossWeight: Float

    /// The input the original app gave the architecture (its design size, Pillow's bicubic resize,
    /// the whole page, its preprocessing): the last word of ``Architecture/inputSpec(_:metadata:)``.
    public var defaultInput: InputSpec

    public init(displayName: String, framework: Architecture.Framework, headPrefixes: [String], topBlockPrefixes: [String],
                auxiliaryLossWeight: Float = 0, defaultInput: InputSpec) {
        self.displayName = displayName
        self.framework = framework
        self.headPrefixes = headPrefixes
        self.topBlockPrefixes = topBlockPrefixes
        self.auxiliaryLossWeight = auxiliaryLossWeight
        self.defaultInput = defaultInput
    }
}
