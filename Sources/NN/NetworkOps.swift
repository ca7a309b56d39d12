import Kernels
import Tensors

/// The operations an architecture's forward pass is written in, once, for two executors:
/// `InferenceOps` (tensors, fused and in place) and Training's `TapeOps` (variables on an autograd
/// tape, batch statistics and dropout in training mode). The executor owns the arithmetic; the
/// architecture only names the steps.
public protocol NetworkOps {
    /// What flows between layers: `Tensor` in inference, a tape `Variable` in training.
    associatedtype Value
    /// A convolution with its batch normalisation and activation, as the executor's factory made it.
    associatedtype Conv: Sendable
    /// A fully connected layer with its activation.
    associatedtype Linear: Sendable

    /// Training mode: batch statistics, dropout, auxiliary heads. False in inference and evaluation.
    var isTraining: Bool { get }

    /// `N x H x W x C` → `N x OH x OW x OC`: the convolution, its normalisation and activation.
    func conv(_ x: Value, _ layer: Conv) throws -> Value
    /// An expansion when given (a one-group convolution: the block's pointwise layer, or the stem),
    /// a depthwise convolution, then a pointwise one, then `residual` added when given: MobileNetV2's
    /// inverted residual block. Inference runs it as one fused kernel that keeps the expanded and
    /// depthwise activations in cache; the default (training) is the separate steps.
    func depthwisePointwise(_ x: Value, expand: Conv?, depthwise: Conv, pointwise: Conv, residual: Value?) throws -> Value
    /// A convolution, then max pooling without padding: small_cnn's layers, and VGG16's and
    /// InceptionV3's convolutions before a pool. Inference runs it as one fused kernel that keeps the
    /// convolution's output in cache where that pays; the default is the two steps.
    func convMaxPool(_ x: Value, _ layer: Conv, kernel: (Int, Int), stride: (Int, Int)) throws -> Value
    /// `N x in` → `N x out`, with the layer's activation.
    func dense(_ x: Value, _ layer: Linear) throws -> Value
    /// Max pooling; padded cells never win (PyTorch's `MaxPool2d(padding=)`).
    func maxPool(_ x: Value, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Value
    /// Average pooling; padded cells count (PyTorch's `count_include_pad=True`).
    func avgPool(_ x: Value, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Value
    func adaptiveAvgPool(_ x: Value, height: Int, width: Int) throws -> Value
    /// `N x H x W x C` → `N x C`.
    func globalAvgPool(_ x: Value) throws -> Value
    func flatten(_ x: Value, order: FlattenOrder) throws -> Value
    /// Elementwise sum of two equal shapes (a residual connection).
    func add(_ a: Value, _ b: Value) throws -> Value
    /// `activation` elementwise, for one that follows something other than a layer (a ReLU after a
    /// residual sum); a layer's own activation is in its spec.
    func activation(_ x: Value, _ activation: Activation) -> Value
    /// The branches side by side along channels, in order (`torch.cat(outputs, 1)`). A branch
    /// that ends in a convolution is given with it, so inference can write it in place.
    func concatChannels(_ branches: [ChannelBranch<Value, Conv>]) throws -> Value
    /// Inverted dropout at `rate` in training; the identity otherwise.
    func dropout(_ x: Value, rate: Float) -> Value
    /// `transform` applied to the network's input, which needs no gradient (a fixed re-normalisation).
    func transformingInput(_ x: Value, _ transform: (Tensor) throws -> Tensor) throws -> Value
}

extension NetworkOps {
    /// `depthwisePointwiseSeparately`.
    public func depthwisePointwise(_ x: Value, expand: Conv?, depthwise: Conv, pointwise: Conv, residual: Value?) throws -> Value {
        try depthwisePointwiseSeparately(x, expand: expand, depthwise: depthwise, pointwise: pointwise, residual: residual)
    }

    /// `depthwisePointwise` as its separate steps:
    /// `add(conv(conv(conv(x, expand), depthwise), pointwise), residual)`.
    public func depthwisePointwiseSeparately(_ x: Value, expand: Conv?, depthwise: Conv, pointwise: Conv, residual: Value?) throws -> Value {
        let expanded = try expand.map { try conv(x, $0) } ?? x
        let y = try conv(conv(expanded, depthwise), pointwise)
        return try residual.map { try add(y, $0) } ?? y
    }

    /// `maxPool(conv(x, layer), kernel: kernel, stride: stride)`.
    public func convMaxPool(_ x: Value, _ layer: Conv, kernel: (Int, Int), stride: (Int, Int)) throws -> Value {
        try maxPool(conv(x, layer), kernel: kernel, stride: stride)
    }

    /// Max pooling without padding.
    public func maxPool(_ x: Value, kernel: (Int, Int), stride: (Int, Int)) throws -> Value {
        try maxPool(x, kernel: kernel, stride: stride, padding: .valid)
    }

    /// Average pooling without padding.
    public func avgPool(_ x: Value, kernel: (Int, Int), stride: (Int, Int)) throws -> Value {
        try avgPool(x, kernel: kernel, stride: stride, padding: .valid)
    }
}

/// One input of a channel concatenation: a value, or a value still to go through a convolution.
public enum ChannelBranch<Value, Conv> {
    case value(Value)
    case conv(Value, Conv)
}

/// What a forward pass produces: the logits and, in training, an auxiliary head's logits.
public struct ForwardOutput<Value> {
    /// `N x classes`, before any softmax.
    public var logits: Value
    /// InceptionV3's `AuxLogits` in training; nil otherwise.
    public var auxiliary: Value?

    public init(logits: Value, auxiliary: Value? = nil) { (self.logits, self.auxiliary) = (logits, auxiliary) }
}
