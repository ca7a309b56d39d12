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
    let layers: InceptionV3Layers<Conv2D, Dense>

    public init(parameters source: ParameterSource, classes: Int, transformInput: Bool = false) throws {
        let t = TorchLayers(source: source)
        self.transformInput = transformInput
        layers = try InceptionV3Layers(t, classes: classes)
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        var x = transformInput ? try Self.transformed(input) : input                   // N x 299 x 299 x 3
        x = try layers.Conv2d_1a_3x3(x)                                                // N x 149 x 149 x 32
        x = try layers.Conv2d_2a_3x3(x)                                                // N x 147 x 147 x 32
        x = try layers.Conv2d_2b_3x3(x)                                                // N x 147 x 147 x 64
        x = try x.maxPool2d(kernel: (3, 3), stride: (2, 2))                            // N x 73 x 73 x 64
        x = try layers.Conv2d_3b_1x1(x)                                                // N x 73 x 73 x 80
        x = try layers.Conv2d_4a_3x3(x)                                                // N x 71 x 71 x 192
        x = try x.maxPool2d(kernel: (3, 3), stride: (2, 2))                            // N x 35 x 35 x 192
        x = try layers.Mixed_5d(layers.Mixed_5c(layers.Mixed_5b(x)))                   // N x 35 x 35 x 288
        x = try layers.Mixed_6a(x)                                                     // N x 17 x 17 x 768
        x = try layers.Mixed_6e(layers.Mixed_6d(layers.Mixed_6c(layers.Mixed_6b(x))))  // N x 17 x 17 x 768
        x = try layers.Mixed_7a(x)                                                     // N x 8 x 8 x 1280
        x = try layers.Mixed_7c(layers.Mixed_7b(x))                                    // N x 8 x 8 x 2048
        x = try x.globalAvgPool2d()                                                    // N x 2048 (dropout: identity)
        x = try layers.fc[0](x).relu()                                                 // N x 512 (dropout: identity)
        x = try layers.fc[1](x)                                                        // N x classes
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
