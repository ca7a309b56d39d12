import ImageIO
import NN
import Tensors

/// The small two-convolution network of the original app (Keras `Sequential`):
/// `Conv2D(16,3,same,relu) → MaxPool(4) → Conv2D(32,3,same,relu) → MaxPool(4) → Flatten →
/// Dense(64,relu) → Dropout(0.3) → Dense(classes,softmax)`.
///
/// Parameters carry Keras layer names: `conv2d`, `conv2d_1`, `dense`, `dense_1`.
public enum SmallCNN: ArchitectureFamily {
    public static let facts = ArchitectureFacts(
        displayName: "Small CNN", framework: .keras,
        headPrefixes: ["dense"], topBlockPrefixes: ["conv2d_1/"],
        defaultInput: InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .rescale))

    public static func make<Maker: NetworkMaker>(_ maker: Maker, _ configuration: NetworkConfiguration) throws -> Maker.Product {
        try maker.make(Layers(maker.factory, configuration))
    }

    /// The layers, of whatever kind `Factory` makes.
    public struct Layers<Conv: Sendable, Linear: Sendable>: ArchitectureDefinition {
        public let conv2d, conv2d_1: Conv
        public let dense, dense_1: Linear

        /// The dense layer's width depends on the input side: `(⌊⌊s/4⌋/4⌋)² · 32`.
        public init<Factory: LayerFactory>(_ f: Factory, _ configuration: NetworkConfiguration) throws
        where Factory.Conv == Conv, Factory.Linear == Linear {
            conv2d = try f.conv(.keras("conv2d", inputChannels: 3, filters: 16, kernel: (3, 3), padding: .same, activation: .relu))
            conv2d_1 = try f.conv(.keras("conv2d_1", inputChannels: 16, filters: 32, kernel: (3, 3), padding: .same, activation: .relu))
            let side = configuration.inputSize / 4 / 4
            dense = try f.linear(.keras("dense", inputs: side * side * 32, units: 64, activation: .relu))
            dense_1 = try f.linear(.keras("dense_1", inputs: 64, units: configuration.classes))
        }

        public func forward<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> ForwardOutput<Ops.Value>
        where Ops.Conv == Conv, Ops.Linear == Linear {
            ForwardOutput(logits: try logits(fromPenultimate: penultimate(input, ops), ops))  // N x classes (softmax: inference's)
        }
    }
}

extension SmallCNN.Layers: PenultimateDefinition {
    public var penultimateLayer: String { "dense" }
    public var penultimateWidth: Int { 64 }

    public func penultimate<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear {
        var x = try ops.convMaxPool(input, conv2d, kernel: (4, 4), stride: (4, 4))  // N x 299 x 299 x 16 → N x 74 x 74 x 16
        x = try ops.convMaxPool(x, conv2d_1, kernel: (4, 4), stride: (4, 4))       // N x 74 x 74 x 32 → N x 18 x 18 x 32
        x = try ops.flatten(x, order: .channelsLast)                 // N x 10368
        return try ops.dense(x, dense)                               // N x 64
    }

    public func logits<Ops: NetworkOps>(fromPenultimate features: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear {
        try ops.dense(ops.dropout(features, rate: 0.3), dense_1)     // N x classes
    }
}
