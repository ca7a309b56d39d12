import ImageIO
import NN
import Tensors

/// torchvision's `inception_v3` with the original app's heads: `fc` replaced by
/// `Linear(2048,512)-ReLU-Dropout(0.3)-Linear(512,classes)` and `AuxLogits.fc` by
/// `Linear(768,classes)`. The auxiliary branch is loaded (it is in every checkpoint) but only
/// training uses it: its logits join the loss, weighted 0.4 as in torchvision's recipe. Dropout
/// 0.5 after global pooling, as torchvision's `Inception3.dropout`.
///
/// See: torchvision's `models/inception.py`; the blocks are in `InceptionBlocks.swift`.
/// NOTE: `transform_input` is not stored in checkpoints; torchvision turns it on when it builds
/// the network with ImageNet weights. Here it is a per-model setting (`NetworkOptions`).
/// NOTE: the auxiliary head needs `Mixed_6e` at least 17x17, so training needs 299x299 input;
/// evaluation works from 75x75.
/// Parameters carry torchvision's `state_dict` keys (`Conv2d_1a_3x3.conv.weight`,
/// `Mixed_5b.branch1x1.bn.running_var`, `fc.0.weight`, `AuxLogits.fc.weight`).
public enum InceptionV3: ArchitectureFamily {
    public static let facts = ArchitectureFacts(
        displayName: "InceptionV3", framework: .torchvision,
        headPrefixes: ["fc.", "AuxLogits."], topBlockPrefixes: ["Mixed_7"], auxiliaryLossWeight: 0.4,
        defaultInput: InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .imagenet))

    public static func make<Maker: NetworkMaker>(_ maker: Maker, _ configuration: NetworkConfiguration) throws -> Maker.Product {
        try maker.make(Layers(maker.factory, configuration))
    }

    /// Every layer, in torchvision's parameter order; names are its `state_dict` prefixes.
    public struct Layers<Conv: Sendable, Linear: Sendable>: ArchitectureDefinition {
        public let transformInput: Bool
        public let Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3: Conv
        public let Mixed_5b, Mixed_5c, Mixed_5d: InceptionA<Conv>
        public let Mixed_6a: InceptionB<Conv>
        public let Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e: InceptionC<Conv>
        public let AuxLogits: InceptionAux<Conv, Linear>
        public let Mixed_7a: InceptionD<Conv>
        public let Mixed_7b, Mixed_7c: InceptionE<Conv>
        /// The app's head: `fc.0` (2048 → 512, ReLU, then dropout 0.3) and `fc.3` (512 → classes).
        public let fc: [Linear]

        public init<Factory: LayerFactory>(_ t: Factory, _ configuration: NetworkConfiguration) throws
        where Factory.Conv == Conv, Factory.Linear == Linear {
            transformInput = configuration.options.transformInput
            Conv2d_1a_3x3 = try t.basicConv("Conv2d_1a_3x3", 3, 32, kernel: (3, 3), stride: (2, 2))
            Conv2d_2a_3x3 = try t.basicConv("Conv2d_2a_3x3", 32, 32, kernel: (3, 3))
            Conv2d_2b_3x3 = try t.basicConv("Conv2d_2b_3x3", 32, 64, kernel: (3, 3), padding: .symmetric(1))
            Conv2d_3b_1x1 = try t.basicConv("Conv2d_3b_1x1", 64, 80, kernel: (1, 1))
            Conv2d_4a_3x3 = try t.basicConv("Conv2d_4a_3x3", 80, 192, kernel: (3, 3))
            Mixed_5b = try InceptionA(t, "Mixed_5b", inputChannels: 192, poolFeatures: 32)
            Mixed_5c = try InceptionA(t, "Mixed_5c", inputChannels: 256, poolFeatures: 64)
            Mixed_5d = try InceptionA(t, "Mixed_5d", inputChannels: 288, poolFeatures: 64)
            Mixed_6a = try InceptionB(t, "Mixed_6a", inputChannels: 288)
            Mixed_6b = try InceptionC(t, "Mixed_6b", inputChannels: 768, channels7x7: 128)
            Mixed_6c = try InceptionC(t, "Mixed_6c", inputChannels: 768, channels7x7: 160)
            Mixed_6d = try InceptionC(t, "Mixed_6d", inputChannels: 768, channels7x7: 160)
            Mixed_6e = try InceptionC(t, "Mixed_6e", inputChannels: 768, channels7x7: 192)
            AuxLogits = try InceptionAux(t, "AuxLogits", inputChannels: 768, classes: configuration.classes)
            Mixed_7a = try InceptionD(t, "Mixed_7a", inputChannels: 768)
            Mixed_7b = try InceptionE(t, "Mixed_7b", inputChannels: 1280)
            Mixed_7c = try InceptionE(t, "Mixed_7c", inputChannels: 2048)
            fc = [try t.linear(.torch("fc.0", inputs: 2048, outputs: 512, activation: .relu)),
                  try t.linear(.torch("fc.3", inputs: 512, outputs: configuration.classes))]
        }

        public func forward<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> ForwardOutput<Ops.Value>
        where Ops.Conv == Conv, Ops.Linear == Linear {
            var x = transformInput ? try ops.transformingInput(input, InceptionV3.transformed) : input     // N x 299 x 299 x 3
            // Each convolution before a max pool runs with it (`convMaxPool`: fused in inference).
            x = try ops.conv(ops.conv(x, Conv2d_1a_3x3), Conv2d_2a_3x3)                                       // N x 147 x 147 x 32
            x = try ops.convMaxPool(x, Conv2d_2b_3x3, kernel: (3, 3), stride: (2, 2))                         // N x 73 x 73 x 64
            x = try ops.convMaxPool(ops.conv(x, Conv2d_3b_1x1), Conv2d_4a_3x3, kernel: (3, 3), stride: (2, 2))  // N x 35 x 35 x 192
            x = try Mixed_5d.forward(Mixed_5c.forward(Mixed_5b.forward(x, ops), ops), ops)                    // N x 35 x 35 x 288
            x = try Mixed_6a.forward(x, ops)                                                                  // N x 17 x 17 x 768
            x = try Mixed_6e.forward(Mixed_6d.forward(Mixed_6c.forward(Mixed_6b.forward(x, ops), ops), ops), ops)  // N x 17 x 17 x 768
            let auxiliary = ops.isTraining ? try AuxLogits.forward(x, ops) : nil                              // N x classes
            x = try Mixed_7c.forward(Mixed_7b.forward(Mixed_7a.forward(x, ops), ops), ops)                    // N x 8 x 8 x 2048
            x = ops.dropout(try ops.globalAvgPool(x), rate: 0.5)                                              // N x 2048
            x = ops.dropout(try ops.dense(x, fc[0]), rate: 0.3)                                               // N x 512
            return ForwardOutput(logits: try ops.dense(x, fc[1]), auxiliary: auxiliary)                       // N x classes
        }
    }

    /// torchvision's `_transform_input`: maps ImageNet-normalised channels to `(x/255 − 0.5)/0.5`.
    public static func transformed(_ input: Tensor) throws -> Tensor {
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        guard input.shape.last == 3 else { throw TensorError.shapeMismatch(expected: [3], got: [input.shape.last ?? 0]) }
        return Tensor(shape: input.shape) { out in
            input.withPointer { x in
                for i in 0..<input.count {
                    let c = i % 3
                    out[i] = x[i] * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5
                }
            }
        }
    }
}
