import Kernels
import NN
import Tensors

/// torchvision's `inception_v3` with the original app's heads: `fc` replaced by
/// `Linear(2048,512)-ReLU-Dropout(0.3)-Linear(512,classes)` and `AuxLogits.fc` by
/// `Linear(768,classes)`. The auxiliary branch is loaded (it is in every checkpoint) but only
/// training uses it.
///
/// See: torchvision's `models/inception.py`.
/// NOTE: `transform_input` is not stored in checkpoints; torchvision turns it on when it builds
/// the network with ImageNet weights. Here it is a per-model setting (`NetworkOptions`).
/// Parameters carry torchvision's `state_dict` keys (`Conv2d_1a_3x3.conv.weight`,
/// `Mixed_5b.branch1x1.bn.running_var`, `fc.0.weight`, `AuxLogits.fc.weight`).
public struct InceptionV3: Network {
    public var architecture: Architecture { .inceptionV3 }
    let transformInput: Bool
    let Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3: Conv2D
    let Mixed_5b, Mixed_5c, Mixed_5d: InceptionA
    let Mixed_6a: InceptionB
    let Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e: InceptionC
    let AuxLogits: InceptionAux
    let Mixed_7a: InceptionD
    let Mixed_7b, Mixed_7c: InceptionE
    let fc: [Dense]

    public init(parameters source: ParameterSource, classes: Int, transformInput: Bool = false) throws {
        let t = TorchLayers(source: source)
        self.transformInput = transformInput
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
        AuxLogits = try InceptionAux(t, "AuxLogits", inputChannels: 768, classes: classes)
        Mixed_7a = try InceptionD(t, "Mixed_7a", inputChannels: 768)
        Mixed_7b = try InceptionE(t, "Mixed_7b", inputChannels: 1280)
        Mixed_7c = try InceptionE(t, "Mixed_7c", inputChannels: 2048)
        fc = [
            try t.linear("fc.0", inputs: 2048, outputs: 512, activation: .relu),
            try t.linear("fc.3", inputs: 512, outputs: classes),
        ]
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        var x = transformInput ? try Self.transformed(input) : input   // N x 299 x 299 x 3
        x = try Conv2d_1a_3x3(x)                                       // N x 149 x 149 x 32
        x = try Conv2d_2a_3x3(x)                                       // N x 147 x 147 x 32
        x = try Conv2d_2b_3x3(x)                                       // N x 147 x 147 x 64
        x = try x.maxPool2d(kernel: (3, 3), stride: (2, 2))            // N x 73 x 73 x 64
        x = try Conv2d_3b_1x1(x)                                       // N x 73 x 73 x 80
        x = try Conv2d_4a_3x3(x)                                       // N x 71 x 71 x 192
        x = try x.maxPool2d(kernel: (3, 3), stride: (2, 2))            // N x 35 x 35 x 192
        x = try Mixed_5d(Mixed_5c(Mixed_5b(x)))                        // N x 35 x 35 x 288
        x = try Mixed_6a(x)                                            // N x 17 x 17 x 768
        x = try Mixed_6e(Mixed_6d(Mixed_6c(Mixed_6b(x))))              // N x 17 x 17 x 768
        x = try Mixed_7a(x)                                            // N x 8 x 8 x 1280
        x = try Mixed_7c(Mixed_7b(x))                                  // N x 8 x 8 x 2048
        x = try x.globalAvgPool2d()                                    // N x 2048 (dropout: identity)
        for layer in fc { x = try layer(x) }                           // N x classes
        return x
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
