import Kernels
import NN
import Tensors

/// torchvision's `vgg16` (configuration "D", no batch normalisation) with the original app's
/// classifier: `Linear(25088,1024)-ReLU-Dropout(0.5)-Linear(1024,512)-ReLU-Dropout(0.5)-Linear(512,classes)`.
///
/// See: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
/// Recognition", https://arxiv.org/abs/1409.1556 and torchvision's `models/vgg.py`.
/// Parameters carry torchvision's `state_dict` keys: `features.0.weight` … `features.28.bias`,
/// `classifier.0`, `classifier.3`, `classifier.6`.
public struct VGG16: Network {
    public var architecture: Architecture { .vgg16 }

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

    /// The `features` stack; nil entries are the 2x2 max pools.
    let features: [Conv2D?]
    let classifier: [Dense]

    public init(parameters source: ParameterSource, classes: Int) throws {
        let torch = TorchLayers(source: source)
        var features: [Conv2D?] = []
        var channels = 3
        var index = 0  // position in torchvision's nn.Sequential, counting ReLUs and pools
        for stage in Self.configuration {
            switch stage {
            case let .conv(width):
                features.append(try torch.conv("features.\(index)", inputChannels: channels, outputChannels: width,
                                                kernel: (3, 3), padding: .symmetric(1), activation: .relu))
                channels = width
                index += 2
            case .pool:
                features.append(nil)
                index += 1
            }
        }
        self.features = features
        classifier = [
            try torch.linear("classifier.0", inputs: 512 * 7 * 7, outputs: 1024, activation: .relu),
            try torch.linear("classifier.3", inputs: 1024, outputs: 512, activation: .relu),
            try torch.linear("classifier.6", inputs: 512, outputs: classes),
        ]
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        var x = input                                              // N x 224 x 224 x 3
        for layer in features {
            x = try layer?(x) ?? x.maxPool2d(kernel: (2, 2), stride: (2, 2))
        }                                                          // N x 7 x 7 x 512
        x = try x.adaptiveAvgPool2d(height: 7, width: 7)           // N x 7 x 7 x 512
        x = try x.flatten(order: .channelsFirst)                   // N x 25088, PyTorch's C-H-W order
        for layer in classifier { x = try layer(x) }               // N x classes (dropout: identity)
        return x
    }
}
