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

    /// Human-readable name.
    public var displayName: String {
        switch self {
        case .smallCNN: "Small CNN"
        case .mobileNetV2: "MobileNetV2"
        case .inceptionV3: "InceptionV3"
        case .vgg16: "VGG16"
        }
    }

    /// The reference framework: Keras for the small CNN and MobileNetV2, torchvision for the others.
    public var framework: Framework {
        switch self {
        case .smallCNN, .mobileNetV2: .keras
        case .inceptionV3, .vgg16: .torchvision
        }
    }

    /// How freshly initialised kernels are drawn: Keras's default (Glorot-uniform) for the Keras
    /// models, He-uniform for the torchvision ones.
    public var weightInitialiser: WeightInitialiser { framework == .keras ? .glorotUniform : .heUniform }

    /// Keras models end in a softmax and output probabilities; torchvision ones output logits.
    public var outputsProbabilities: Bool { framework == .keras }

    /// Builds the network with parameters from `source`.
    /// - Parameters:
    ///   - classes: the number of output classes.
    ///   - inputSize: the side of the square input; fixes the small CNN's dense layer.
    ///   - options: per-model settings that the weights do not record.
    /// - Throws: the source's error for a missing or misshapen parameter.
    public func build(
        parameters source: ParameterSource, classes: Int, inputSize: Int? = nil, options: NetworkOptions = .init()
    ) throws -> any Network {
        let size = inputSize ?? defaultInputSize
        switch self {
        case .smallCNN: return try SmallCNN(parameters: source, classes: classes, inputSize: size)
        case .mobileNetV2: return try MobileNetV2(parameters: source, classes: classes)
        case .inceptionV3: return try InceptionV3(parameters: source, classes: classes, transformInput: options.transformInput)
        case .vgg16: return try VGG16(parameters: source, classes: classes)
        }
    }

    /// The parameters the architecture reads, in the framework's order and layout: its
    /// checkpoint key list.
    public func parameterList(classes: Int, inputSize: Int? = nil) throws -> [(name: String, shape: [Int])] {
        try parameters(from: ShapeOnlySource(), classes: classes, inputSize: inputSize).map { ($0.name, $0.tensor.shape) }
    }

    /// Every parameter the architecture reads from `source`, in order, named and laid out as in
    /// the framework: what a checkpoint of this architecture holds.
    /// - Throws: the source's error for a missing or misshapen parameter.
    public func parameters(
        from source: ParameterSource, classes: Int, inputSize: Int? = nil
    ) throws -> [(name: String, tensor: Tensor)] {
        let recorder = RecordingParameterSource(source)
        _ = try build(parameters: recorder, classes: classes, inputSize: inputSize)
        return recorder.parameters
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
}

extension Network {
    /// Class probabilities for a batch, whatever the architecture outputs.
    public func probabilities(_ input: Tensor) throws -> Tensor {
        let output = try self(input)
        return architecture.outputsProbabilities ? output : output.softmax()
    }
}

/// Zero-filled parameters of whatever shape is asked for: enough to list an architecture's keys.
private struct ShapeOnlySource: ParameterSource {
    func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        Tensor(shape: shape, repeating: role == .runningVariance || role == .normScale ? 1 : 0)
    }
}
