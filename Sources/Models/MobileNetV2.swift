import ImageIO
import NN
import Tensors

/// Keras's `applications.MobileNetV2` (alpha 1.0, `include_top=False`) with the original app's
/// head: `GlobalAveragePooling2D → Dense(128,relu) → Dropout(0.3) → Dense(classes,softmax)`.
///
/// See: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
/// https://arxiv.org/abs/1801.04381
/// NOTE: Keras pads stride-2 layers on the bottom/right only (`same`, and `ZeroPadding2D` with
/// `correct_pad`, which for a 3x3 kernel equals `same`); torchvision pads symmetrically, so the
/// two MobileNetV2s are not interchangeable. Batch normalisation uses epsilon 1e-3; in training,
/// a batch normalisation whose scale is frozen runs in inference mode, as a frozen Keras layer does.
/// Parameters carry Keras layer names: `Conv1`, `bn_Conv1`, `block_1_expand_BN`, `Conv_1`, `dense`.
public enum MobileNetV2: ArchitectureFamily {
    public static let facts = ArchitectureFacts(
        displayName: "MobileNetV2", framework: .keras,
        headPrefixes: ["dense"], topBlockPrefixes: ["block_13_", "block_14_", "block_15_", "block_16_", "Conv_1"],
        defaultInput: InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .rescale))

    public static func make<Maker: NetworkMaker>(_ maker: Maker, _ configuration: NetworkConfiguration) throws -> Maker.Product {
        try maker.make(Layers(maker.factory, configuration))
    }

    /// One inverted residual block row: expansion `t`, output channels `c`, stride `s`.
    /// Keras lists blocks one by one; these are its 17 blocks in order (block 0 is `expanded_conv`).
    public static let blocks: [(t: Int, c: Int, s: Int)] = [
        (1, 16, 1),
        (6, 24, 2), (6, 24, 1),
        (6, 32, 2), (6, 32, 1), (6, 32, 1),
        (6, 64, 2), (6, 64, 1), (6, 64, 1), (6, 64, 1),
        (6, 96, 1), (6, 96, 1), (6, 96, 1),
        (6, 160, 2), (6, 160, 1), (6, 160, 1),
        (6, 320, 1),
    ]

    /// An inverted residual block: 1x1 expand (ReLU6) → 3x3 depthwise (ReLU6) → 1x1 linear
    /// project, plus the input when the shapes allow.
    public struct InvertedResidual<Conv: Sendable>: Sendable {
        public let expand: Conv?
        public let depthwise: Conv
        public let project: Conv
        public let residual: Bool

        public init<Factory: LayerFactory>(
            _ f: Factory, index: Int, inputChannels: Int, expansion: Int, outputChannels: Int, stride: Int
        ) throws where Factory.Conv == Conv {
            let prefix = index == 0 ? "expanded_conv" : "block_\(index)"
            let hidden = inputChannels * expansion
            expand = expansion == 1 ? nil : try f.conv(.keras(
                "\(prefix)_expand", inputChannels: inputChannels, filters: hidden, kernel: (1, 1),
                padding: .same, useBias: false, norm: "\(prefix)_expand_BN", activation: .relu6))
            depthwise = try f.conv(.kerasDepthwise(
                "\(prefix)_depthwise", channels: hidden, kernel: (3, 3), stride: (stride, stride), padding: .same,
                norm: "\(prefix)_depthwise_BN", activation: .relu6))
            project = try f.conv(.keras(
                "\(prefix)_project", inputChannels: hidden, filters: outputChannels, kernel: (1, 1),
                padding: .same, useBias: false, norm: "\(prefix)_project_BN", activation: .identity))
            residual = stride == 1 && inputChannels == outputChannels
        }

        public func forward<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
            try ops.depthwisePointwise(input, expand: expand, depthwise: depthwise, pointwise: project,
                                       residual: residual ? input : nil)
        }
    }

    public struct Layers<Conv: Sendable, Linear: Sendable>: ArchitectureDefinition {
        public let Conv1: Conv
        public let blocks: [InvertedResidual<Conv>]
        public let Conv_1: Conv
        public let dense, dense_1: Linear

        public init<Factory: LayerFactory>(_ f: Factory, _ configuration: NetworkConfiguration) throws
        where Factory.Conv == Conv, Factory.Linear == Linear {
            Conv1 = try f.conv(.keras("Conv1", inputChannels: 3, filters: 32, kernel: (3, 3), stride: (2, 2), padding: .same,
                                      useBias: false, norm: "bn_Conv1", activation: .relu6))
            var channels = 32
            var blocks: [InvertedResidual<Conv>] = []
            for (index, row) in MobileNetV2.blocks.enumerated() {
                blocks.append(try InvertedResidual(
                    f, index: index, inputChannels: channels, expansion: row.t, outputChannels: row.c, stride: row.s))
                channels = row.c
            }
            self.blocks = blocks
            Conv_1 = try f.conv(.keras("Conv_1", inputChannels: channels, filters: 1280, kernel: (1, 1), padding: .same,
                                       useBias: false, norm: "Conv_1_bn", activation: .relu6))
            dense = try f.linear(.keras("dense", inputs: 1280, units: 128, activation: .relu))
            dense_1 = try f.linear(.keras("dense_1", inputs: 128, units: configuration.classes))
        }

        /// Everything up to `Conv_1` (ReLU6, so every feature is in [0, 6]): `N x 7 x 7 x 1280` at 224 px.
        public func featureMap<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
            // Conv1 (N x 112 x 112 x 32) runs as the expansion of block 0, which has none of its own:
            // inference computes it a band at a time inside the block's fused kernel.
            let first = blocks[0]
            precondition(first.expand == nil && !first.residual, "block 0 has an expansion")
            var x = try ops.depthwisePointwise(input, expand: Conv1, depthwise: first.depthwise, pointwise: first.project,
                                               residual: nil)                         // N x 112 x 112 x 16
            for block in blocks.dropFirst() { x = try block.forward(x, ops) }         // N x 7 x 7 x 320
            return try ops.conv(x, Conv_1)                           // N x 7 x 7 x 1280
        }

        public func forward<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> ForwardOutput<Ops.Value>
        where Ops.Conv == Conv, Ops.Linear == Linear {
            ForwardOutput(logits: try logits(fromPenultimate: penultimate(input, ops), ops))  // N x classes (softmax: inference's)
        }
    }
}

extension MobileNetV2.Layers: PenultimateDefinition {
    public var penultimateLayer: String { "dense" }
    public var penultimateWidth: Int { 128 }

    public func penultimate<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear {
        let pooled = try ops.globalAvgPool(featureMap(input, ops))   // N x 1280
        return try ops.dense(pooled, dense)                          // N x 128
    }

    public func logits<Ops: NetworkOps>(fromPenultimate features: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear {
        try ops.dense(ops.dropout(features, rate: 0.3), dense_1)     // N x classes
    }
}
