import ImageIO
import NN
import Tensors

/// torchvision's `vgg16` (configuration "D", no batch normalisation) with the original app's
/// classifier: `Linear(25088,1024)-ReLU-Dropout(0.5)-Linear(1024,512)-ReLU-Dropout(0.5)-Linear(512,classes)`.
///
/// See: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
/// Recognition", https://arxiv.org/abs/1409.1556 and torchvision's `models/vgg.py`.
/// Parameters carry torchvision's `state_dict` keys: `features.0.weight` … `features.28.bias`,
/// `classifier.0`, `classifier.3`, `classifier.6`.
public enum VGG16: ArchitectureFamily {
    public static let facts = ArchitectureFacts(
        displayName: "VGG16", framework: .torchvision,
        headPrefixes: ["classifier."], topBlockPrefixes: ["features.24.", "features.26.", "features.28."],
        defaultInput: InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard))

    public static func make<Maker: NetworkMaker>(_ maker: Maker, _ configuration: NetworkConfiguration) throws -> Maker.Product {
        try maker.make(Layers(maker.factory, configuration))
    }

    /// One entry of a VGG configuration: a 3x3 convolution with this many channels, or a pool.
    public enum Stage: Sendable { case conv(Int), pool }

    /// torchvision's `cfgs["D"]`.
    public static let configuration: [Stage] = [
        .conv(64), .conv(64), .pool,
        .conv(128), .conv(128), .pool,
        .conv(256), .conv(256), .conv(256), .pool,
        .conv(512), .conv(512), .conv(512), .pool,
        .conv(512), .conv(512), .conv(512), .pool,
    ]

    public struct Layers<Conv: Sendable, Linear: Sendable>: ArchitectureDefinition {
        /// The `features` stack: 3x3 convolutions (padding 1, ReLU) at their torchvision prefixes
        /// (`features.0` … `features.28`, counting ReLUs and pools); nil entries are the 2x2 max pools.
        public let features: [Conv?]
        /// `classifier.0`, `.3` (each followed by ReLU and dropout 0.5) and `.6`.
        public let classifier: [Linear]

        public init<Factory: LayerFactory>(_ f: Factory, _ configuration: NetworkConfiguration) throws
        where Factory.Conv == Conv, Factory.Linear == Linear {
            var features: [Conv?] = []
            var (channels, index) = (3, 0)
            for stage in VGG16.configuration {
                switch stage {
                case let .conv(width):
                    features.append(try f.conv(.torch("features.\(index)", inputChannels: channels, outputChannels: width,
                                                      kernel: (3, 3), padding: .symmetric(1), activation: .relu)))
                    (channels, index) = (width, index + 2)
                case .pool:
                    features.append(nil)
                    index += 1
                }
            }
            self.features = features
            classifier = [
                try f.linear(.torch("classifier.0", inputs: 512 * 7 * 7, outputs: 1024, activation: .relu)),
                try f.linear(.torch("classifier.3", inputs: 1024, outputs: 512, activation: .relu)),
                try f.linear(.torch("classifier.6", inputs: 512, outputs: configuration.classes)),
            ]
        }

        /// The `features` stack alone: the backbone a feature cache stores.
        public func featureMap<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
            var x = input                                                      // N x 224 x 224 x 3
            for (index, layer) in features.enumerated() {
                guard let layer else { continue }                              // pooled with the convolution before it
                // A convolution before a pool runs with it (`convMaxPool`: fused in inference).
                x = index + 1 < features.count && features[index + 1] == nil
                    ? try ops.convMaxPool(x, layer, kernel: (2, 2), stride: (2, 2)) : try ops.conv(x, layer)
            }
            return x                                                           // N x 7 x 7 x 512
        }

        public func forward<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> ForwardOutput<Ops.Value>
        where Ops.Conv == Conv, Ops.Linear == Linear {
            var x = try featureMap(input, ops)                                 // N x 7 x 7 x 512
            x = try ops.adaptiveAvgPool(x, height: 7, width: 7)                // N x 7 x 7 x 512
            x = try ops.flatten(x, order: .channelsFirst)                      // N x 25088, PyTorch's C-H-W order
            for layer in classifier.dropLast() { x = ops.dropout(try ops.dense(x, layer), rate: 0.5) }  // N x 512
            return ForwardOutput(logits: try ops.dense(x, classifier[classifier.count - 1]))           // N x classes
        }
    }
}
