import Kernels
import NN
import Tensors

/// Keras's `applications.MobileNetV2` (alpha 1.0, `include_top=False`) with the original app's
/// head: `GlobalAveragePooling2D → Dense(128,relu) → Dropout(0.3) → Dense(classes,softmax)`.
///
/// See: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
/// https://arxiv.org/abs/1801.04381
/// NOTE: Keras pads stride-2 layers on the bottom/right only (`same`, and `ZeroPadding2D` with
/// `correct_pad`, which for a 3x3 kernel equals `same`); torchvision pads symmetrically, so the
/// two MobileNetV2s are not interchangeable. Batch normalisation uses epsilon 1e-3.
/// Parameters carry Keras layer names: `Conv1`, `bn_Conv1`, `block_1_expand_BN`, `Conv_1`, `dense`.
public struct MobileNetV2: Network {
    public var architecture: Architecture { .mobileNetV2 }

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
    struct InvertedResidual: Sendable {
        let expand: Conv2D?
        let depthwise: Conv2D
        let project: Conv2D
        let residual: Bool

        init(_ keras: KerasLayers, index: Int, inputChannels: Int, expansion: Int, outputChannels: Int, stride: Int) throws {
            let prefix = index == 0 ? "expanded_conv" : "block_\(index)"
            let hidden = inputChannels * expansion
            expand = expansion == 1 ? nil : try keras.conv(
                "\(prefix)_expand", inputChannels: inputChannels, filters: hidden, kernel: (1, 1), padding: .same,
                useBias: false, norm: "\(prefix)_expand_BN", activation: .relu6)
            depthwise = try keras.depthwise(
                "\(prefix)_depthwise", channels: hidden, kernel: (3, 3), stride: (stride, stride), padding: .same,
                norm: "\(prefix)_depthwise_BN", activation: .relu6)
            project = try keras.conv(
                "\(prefix)_project", inputChannels: hidden, filters: outputChannels, kernel: (1, 1), padding: .same,
                useBias: false, norm: "\(prefix)_project_BN")
            residual = stride == 1 && inputChannels == outputChannels
        }

        func callAsFunction(_ input: Tensor) throws -> Tensor {
            var x = try expand?(input) ?? input
            x = try depthwise(x)
            x = try project(x)
            return residual ? try x.adding(input) : x
        }
    }

    let Conv1: Conv2D
    let blocks: [InvertedResidual]
    let Conv_1: Conv2D
    let dense: Dense, dense_1: Dense

    public init(parameters source: ParameterSource, classes: Int) throws {
        let keras = KerasLayers(source: source)
        Conv1 = try keras.conv("Conv1", inputChannels: 3, filters: 32, kernel: (3, 3), stride: (2, 2), padding: .same,
                               useBias: false, norm: "bn_Conv1", activation: .relu6)
        var channels = 32
        var blocks: [InvertedResidual] = []
        for (index, row) in Self.blocks.enumerated() {
            blocks.append(try InvertedResidual(
                keras, index: index, inputChannels: channels, expansion: row.t, outputChannels: row.c, stride: row.s))
            channels = row.c
        }
        self.blocks = blocks
        Conv_1 = try keras.conv("Conv_1", inputChannels: channels, filters: 1280, kernel: (1, 1), padding: .same,
                                useBias: false, norm: "Conv_1_bn", activation: .relu6)
        dense = try keras.dense("dense", inputs: 1280, units: 128, activation: .relu)
        dense_1 = try keras.dense("dense_1", inputs: 128, units: classes)
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        var x = try Conv1(input)                   // N x 112 x 112 x 32
        for block in blocks { x = try block(x) }   // N x 7 x 7 x 320
        x = try Conv_1(x)                          // N x 7 x 7 x 1280
        x = try x.globalAvgPool2d()                // N x 1280
        x = try dense(x)                           // N x 128 (dropout: identity)
        return try dense_1(x).softmax()            // N x classes
    }
}
