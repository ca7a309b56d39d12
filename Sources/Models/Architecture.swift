import Kernels
import NN
import Tensors

/// The four network architectures ECGLens knows, named as in the registry and on the command line.
public enum Architecture: String, CaseIterable, Codable, Sendable {
    case smallCNN = "small_cnn"
    case mobileNetV2 = "mobilenetv2"
    case inceptionV3 = "inceptionv3"
    case vgg16 = "vgg16"

    /// The framework whose names, layouts and arithmetic the architecture reproduces.
    public enum Framework: String, Codable, Sendable {
        case keras, torchvision
    }

    /// The architecture's definition: its layers, forward pass and facts, in one file each.
    /// This switch is the registry: a new architecture adds its case above and its line here.
    public var family: any ArchitectureFamily.Type {
        switch self {
        case .smallCNN: SmallCNN.self
        case .mobileNetV2: MobileNetV2.self
        case .inceptionV3: InceptionV3.self
        case .vgg16: VGG16.self
        }
    }

    /// Names, framework, fine-tuning groups and input defaults, from the architecture's file.
    public var facts: ArchitectureFacts { family.facts }

    /// Human-readable name.
    public var displayName: String { facts.displayName }

    /// The reference framework: Keras for the small CNN and MobileNetV2, torchvision for the others.
    public var framework: Framework { facts.framework }

    /// How freshly initialised kernels are drawn: Keras's default (Glorot-uniform) for the Keras
    /// models, He-uniform for the torchvision ones.
    public var weightInitialiser: WeightInitialiser { framework == .keras ? .glorotUniform : .heUniform }

    /// Keras models end in a softmax and output probabilities; torchvision ones output logits.
    public var outputsProbabilities: Bool { framework == .keras }

    /// Name prefixes of the classifier head the original app put on the backbone.
    public var headPrefixes: [String] { facts.headPrefixes }

    /// Name prefixes of the backbone's top blocks, unfrozen for fine-tuning.
    public var topBlockPrefixes: [String] { facts.topBlockPrefixes }

    /// The auxiliary classifier's loss weight in training: 0.4 for InceptionV3 (torchvision's
    /// reference recipe), 0 for architectures without one.
    public var auxiliaryLossWeight: Float { facts.auxiliaryLossWeight }

    /// What a network of this architecture is built for.
    public func configuration(classes: Int, inputSize: Int? = nil, options: NetworkOptions = .init()) -> NetworkConfiguration {
        NetworkConfiguration(classes: classes, inputSize: inputSize ?? defaultInputSize, options: options)
    }

    /// Builds the inference network with parameters from `source`.
    /// - Parameters:
    ///   - classes: the number of output classes.
    ///   - inputSize: the side of the square input; fixes the small CNN's dense layer.
    ///   - options: per-model settings that the weights do not record.
    ///   - precision: what the convolutions multiply in (`Precision`; bf16 and int8 fall back to fp32
    ///     on a CPU without them).
    ///   - int8Calibration: for int8, which layers run in int8 (`Int8Calibration`); nil: all that can.
    /// - Throws: the source's error for a missing or misshapen parameter.
    public func build(
        parameters source: ParameterSource, classes: Int, inputSize: Int? = nil, options: NetworkOptions = .init(),
        precision: Precision = .fp32, int8Calibration: Int8Calibration? = nil
    ) throws -> any Network {
        let factory = InferenceLayerFactory(source: source, precision: precision, int8Calibration: int8Calibration)
        return try family.make(InferenceMaker(architecture: self, factory: factory),
                               configuration(classes: classes, inputSize: inputSize, options: options))
    }

    /// The parameters the architecture reads, in the framework's order and layout: its
    /// checkpoint key list. Built from the layer specs, without allocating any weight.
    public func parameterList(classes: Int, inputSize: Int? = nil) throws -> [(name: String, shape: [Int])] {
        try parameterSpecs(classes: classes, inputSize: inputSize).map { ($0.name, $0.shape) }
    }

    /// Every parameter's spec (name, shape, role), in the framework's order.
    public func parameterSpecs(classes: Int, inputSize: Int? = nil) throws -> [ParameterSpec] {
        try layerSpecs(classes: classes, inputSize: inputSize).flatMap(\.parameters)
    }

    /// Every layer as declared (kind, parameters, settings), in the order the architecture builds
    /// them: what Keras 3 weights files are matched against (`KerasLayerMap`).
    public func layerSpecs(classes: Int, inputSize: Int? = nil) throws -> [LayerSpec] {
        try family.make(SpecMaker(), configuration(classes: classes, inputSize: inputSize))
    }

    /// Every parameter the architecture reads from `source`, in order, named and laid out as in
    /// the framework: what a checkpoint of this architecture holds.
    /// - Throws: the source's error for a missing or misshapen parameter.
    public func parameters(
        from source: ParameterSource, classes: Int, inputSize: Int? = nil
    ) throws -> [(name: String, tensor: Tensor)] {
        try parameterSpecs(classes: classes, inputSize: inputSize).map { ($0.name, try source.tensor($0)) }
    }
}

/// Settings of a network that its weight file does not record.
public struct NetworkOptions: Sendable, Codable, Equatable {
    /// torchvision InceptionV3's `transform_input`: re-normalise ImageNet-normalised input to
    /// [-1, 1] inside the network. torchvision turns it on when it loads ImageNet weights.
    public var transformInput: Bool

    public init(transformInput: Bool = false) { self.transformInput = transformInput }
}

/// A classification network over NHWC image batches.
public protocol Network: Sendable {
    /// Which architecture this is.
    var architecture: Architecture { get }
    /// `N x H x W x 3` preprocessed images → `N x classes` scores: probabilities for Keras
    /// architectures, logits for torchvision ones (`outputsProbabilities`).
    func callAsFunction(_ input: Tensor) throws -> Tensor
    /// The same scores, run by `ops`, which also measures each convolution's int8 error.
    func callAsFunction(_ input: Tensor, ops: Int8CalibrationOps) throws -> Tensor
}

extension Network {
    /// Class probabilities for a batch, whatever the architecture outputs.
    public func probabilities(_ input: Tensor) throws -> Tensor {
        let output = try self(input)
        return architecture.outputsProbabilities ? output : output.softmax()
    }
}
