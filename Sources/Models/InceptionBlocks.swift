import Kernels
import NN
import Tensors

// The blocks of torchvision's InceptionV3, in its order and with its attribute names. Each block
// is generic over its layer type, so that inference (`Conv2D`, from `TorchLayers`) and training
// (a trainable unit, from its own builder) share one definition of the layers. In inference each
// block writes its branches straight into the channel slices of one output tensor, which is the
// concatenation torchvision builds with `torch.cat(outputs, 1)`.
// See: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
// https://arxiv.org/abs/1512.00567 and torchvision's `models/inception.py`.

/// Makes the layers of InceptionV3's blocks from torchvision-named parameters: `TorchLayers`
/// for inference, a trainable builder for training.
public protocol InceptionLayerFactory {
    associatedtype Conv
    associatedtype Linear
    /// `BasicConv2d` at `prefix`: bias-free convolution, batch norm (epsilon 1e-3) and ReLU.
    func basicConv(
        _ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int),
        padding: Padding
    ) throws -> Conv
    /// `nn.Linear(inputs, outputs)` at `prefix`, without activation.
    func linear(_ prefix: String, inputs: Int, outputs: Int) throws -> Linear
}

extension InceptionLayerFactory {
    /// `BasicConv2d` with stride 1 and no padding unless given.
    public func basicConv(_ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int)) throws -> Conv {
        try basicConv(prefix, inputChannels, outputChannels, kernel: kernel, stride: (1, 1), padding: .none)
    }
    public func basicConv(
        _ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int)
    ) throws -> Conv {
        try basicConv(prefix, inputChannels, outputChannels, kernel: kernel, stride: stride, padding: .none)
    }
    public func basicConv(
        _ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), padding: Padding
    ) throws -> Conv {
        try basicConv(prefix, inputChannels, outputChannels, kernel: kernel, stride: (1, 1), padding: padding)
    }
}

extension TorchLayers: InceptionLayerFactory {
    func linear(_ prefix: String, inputs: Int, outputs: Int) throws -> Dense {
        try linear(prefix, inputs: inputs, outputs: outputs, activation: .identity)
    }
}

/// A tensor of `channels` channels with the batch, height and width of `x` after `conv`.
private func output(for x: Tensor, after conv: Conv2D, channels: Int) throws -> Tensor {
    let g = try x.convGeometry(weight: conv.convWeight, stride: conv.stride, padding: conv.padding)
    return Tensor(shape: [g.batch, g.outputHeight, g.outputWidth, channels], uninitializedFill: { _ in })
}

/// PyTorch's `F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)` (count_include_pad=True).
private func averagePool3x3(_ x: Tensor) throws -> Tensor {
    try x.avgPool2d(kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)))
}

/// `InceptionA(in, pool_features)`: 1x1 | 1x1→5x5 | 1x1→3x3→3x3 | avgpool→1x1;
/// 64 + 64 + 96 + pool_features channels.
public struct InceptionA<Conv> {
    public let branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool: Conv

    public init<Factory: InceptionLayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int, poolFeatures: Int) throws
    where Factory.Conv == Conv {
        branch1x1 = try t.basicConv("\(p).branch1x1", c, 64, kernel: (1, 1))
        branch5x5_1 = try t.basicConv("\(p).branch5x5_1", c, 48, kernel: (1, 1))
        branch5x5_2 = try t.basicConv("\(p).branch5x5_2", 48, 64, kernel: (5, 5), padding: .symmetric(2))
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 64, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 64, 96, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3 = try t.basicConv("\(p).branch3x3dbl_3", 96, 96, kernel: (3, 3), padding: .symmetric(1))
        branch_pool = try t.basicConv("\(p).branch_pool", c, poolFeatures, kernel: (1, 1))
    }
}

extension InceptionA: Sendable where Conv: Sendable {}

extension InceptionA where Conv == Conv2D {
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try output(for: x, after: branch1x1, channels: 224 + branch_pool.outputChannels)
        try branch1x1(x, into: out, channelOffset: 0)
        try branch5x5_2(branch5x5_1(x), into: out, channelOffset: 64)
        try branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)), into: out, channelOffset: 128)
        try branch_pool(averagePool3x3(x), into: out, channelOffset: 224)
        return out
    }
}

/// `InceptionB(in)`: 3x3/2 | 1x1→3x3→3x3/2 | maxpool/2; 384 + 96 + in channels.
public struct InceptionB<Conv> {
    public let branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3: Conv
    let inputChannels: Int

    public init<Factory: InceptionLayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int) throws
    where Factory.Conv == Conv {
        inputChannels = c
        branch3x3 = try t.basicConv("\(p).branch3x3", c, 384, kernel: (3, 3), stride: (2, 2))
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 64, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 64, 96, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3 = try t.basicConv("\(p).branch3x3dbl_3", 96, 96, kernel: (3, 3), stride: (2, 2))
    }
}

extension InceptionB: Sendable where Conv: Sendable {}

extension InceptionB where Conv == Conv2D {
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try output(for: x, after: branch3x3, channels: 384 + 96 + inputChannels)
        try branch3x3(x, into: out, channelOffset: 0)
        try branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)), into: out, channelOffset: 384)
        try x.maxPool2d(kernel: (3, 3), stride: (2, 2)).copyChannels(into: out, channelOffset: 480)
        return out
    }
}

/// `InceptionC(in, channels_7x7)`: 1x1 | 1x1→1x7→7x1 | 1x1→7x1→1x7→7x1→1x7 | avgpool→1x1;
/// 4 x 192 channels.
public struct InceptionC<Conv> {
    public let branch1x1, branch7x7_1, branch7x7_2, branch7x7_3: Conv
    public let branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool: Conv

    public init<Factory: InceptionLayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int, channels7x7 c7: Int) throws
    where Factory.Conv == Conv {
        let row = Padding.symmetric(height: 0, width: 3), column = Padding.symmetric(height: 3, width: 0)
        branch1x1 = try t.basicConv("\(p).branch1x1", c, 192, kernel: (1, 1))
        branch7x7_1 = try t.basicConv("\(p).branch7x7_1", c, c7, kernel: (1, 1))
        branch7x7_2 = try t.basicConv("\(p).branch7x7_2", c7, c7, kernel: (1, 7), padding: row)
        branch7x7_3 = try t.basicConv("\(p).branch7x7_3", c7, 192, kernel: (7, 1), padding: column)
        branch7x7dbl_1 = try t.basicConv("\(p).branch7x7dbl_1", c, c7, kernel: (1, 1))
        branch7x7dbl_2 = try t.basicConv("\(p).branch7x7dbl_2", c7, c7, kernel: (7, 1), padding: column)
        branch7x7dbl_3 = try t.basicConv("\(p).branch7x7dbl_3", c7, c7, kernel: (1, 7), padding: row)
        branch7x7dbl_4 = try t.basicConv("\(p).branch7x7dbl_4", c7, c7, kernel: (7, 1), padding: column)
        branch7x7dbl_5 = try t.basicConv("\(p).branch7x7dbl_5", c7, 192, kernel: (1, 7), padding: row)
        branch_pool = try t.basicConv("\(p).branch_pool", c, 192, kernel: (1, 1))
    }
}

extension InceptionC: Sendable where Conv: Sendable {}

extension InceptionC where Conv == Conv2D {
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try output(for: x, after: branch1x1, channels: 768)
        try branch1x1(x, into: out, channelOffset: 0)
        try branch7x7_3(branch7x7_2(branch7x7_1(x)), into: out, channelOffset: 192)
        let dbl = try branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x))))
        try branch7x7dbl_5(dbl, into: out, channelOffset: 384)
        try branch_pool(averagePool3x3(x), into: out, channelOffset: 576)
        return out
    }
}

/// `InceptionD(in)`: 1x1→3x3/2 | 1x1→1x7→7x1→3x3/2 | maxpool/2; 320 + 192 + in channels.
public struct InceptionD<Conv> {
    public let branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4: Conv
    let inputChannels: Int

    public init<Factory: InceptionLayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int) throws
    where Factory.Conv == Conv {
        inputChannels = c
        branch3x3_1 = try t.basicConv("\(p).branch3x3_1", c, 192, kernel: (1, 1))
        branch3x3_2 = try t.basicConv("\(p).branch3x3_2", 192, 320, kernel: (3, 3), stride: (2, 2))
        branch7x7x3_1 = try t.basicConv("\(p).branch7x7x3_1", c, 192, kernel: (1, 1))
        branch7x7x3_2 = try t.basicConv("\(p).branch7x7x3_2", 192, 192, kernel: (1, 7), padding: .symmetric(height: 0, width: 3))
        branch7x7x3_3 = try t.basicConv("\(p).branch7x7x3_3", 192, 192, kernel: (7, 1), padding: .symmetric(height: 3, width: 0))
        branch7x7x3_4 = try t.basicConv("\(p).branch7x7x3_4", 192, 192, kernel: (3, 3), stride: (2, 2))
    }
}

extension InceptionD: Sendable where Conv: Sendable {}

extension InceptionD where Conv == Conv2D {
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let reduced = try branch3x3_1(x)
        let out = try output(for: reduced, after: branch3x3_2, channels: 320 + 192 + inputChannels)
        try branch3x3_2(reduced, into: out, channelOffset: 0)
        try branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))), into: out, channelOffset: 320)
        try x.maxPool2d(kernel: (3, 3), stride: (2, 2)).copyChannels(into: out, channelOffset: 512)
        return out
    }
}

/// `InceptionE(in)`: 1x1 | 1x1→(1x3 ‖ 3x1) | 1x1→3x3→(1x3 ‖ 3x1) | avgpool→1x1;
/// 320 + 768 + 768 + 192 = 2048 channels.
public struct InceptionE<Conv> {
    public let branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b: Conv
    public let branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool: Conv

    public init<Factory: InceptionLayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int) throws
    where Factory.Conv == Conv {
        let row = Padding.symmetric(height: 0, width: 1), column = Padding.symmetric(height: 1, width: 0)
        branch1x1 = try t.basicConv("\(p).branch1x1", c, 320, kernel: (1, 1))
        branch3x3_1 = try t.basicConv("\(p).branch3x3_1", c, 384, kernel: (1, 1))
        branch3x3_2a = try t.basicConv("\(p).branch3x3_2a", 384, 384, kernel: (1, 3), padding: row)
        branch3x3_2b = try t.basicConv("\(p).branch3x3_2b", 384, 384, kernel: (3, 1), padding: column)
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 448, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 448, 384, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3a = try t.basicConv("\(p).branch3x3dbl_3a", 384, 384, kernel: (1, 3), padding: row)
        branch3x3dbl_3b = try t.basicConv("\(p).branch3x3dbl_3b", 384, 384, kernel: (3, 1), padding: column)
        branch_pool = try t.basicConv("\(p).branch_pool", c, 192, kernel: (1, 1))
    }
}

extension InceptionE: Sendable where Conv: Sendable {}

extension InceptionE where Conv == Conv2D {
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try output(for: x, after: branch1x1, channels: 2048)
        try branch1x1(x, into: out, channelOffset: 0)
        let b3 = try branch3x3_1(x)
        try branch3x3_2a(b3, into: out, channelOffset: 320)
        try branch3x3_2b(b3, into: out, channelOffset: 704)
        let dbl = try branch3x3dbl_2(branch3x3dbl_1(x))
        try branch3x3dbl_3a(dbl, into: out, channelOffset: 1088)
        try branch3x3dbl_3b(dbl, into: out, channelOffset: 1472)
        try branch_pool(averagePool3x3(x), into: out, channelOffset: 1856)
        return out
    }
}

/// `InceptionAux(768, classes)`: the auxiliary classifier on `Mixed_6e`, used only in training
/// (its loss is weighted 0.4). avgpool 5/3 → 1x1 conv (128) → 5x5 conv (768) → global pool → fc.
public struct InceptionAux<Conv, Linear> {
    public let conv0, conv1: Conv
    public let fc: Linear

    public init<Factory: InceptionLayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int, classes: Int) throws
    where Factory.Conv == Conv, Factory.Linear == Linear {
        conv0 = try t.basicConv("\(p).conv0", c, 128, kernel: (1, 1))
        conv1 = try t.basicConv("\(p).conv1", 128, 768, kernel: (5, 5))
        fc = try t.linear("\(p).fc", inputs: 768, outputs: classes)
    }
}

extension InceptionAux: Sendable where Conv: Sendable, Linear: Sendable {}

extension InceptionAux where Conv == Conv2D, Linear == Dense {
    /// `N x 17 x 17 x 768` → `N x classes` logits.
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = try x.avgPool2d(kernel: (5, 5), stride: (3, 3))   // N x 5 x 5 x 768
        y = try conv1(conv0(y))                                   // N x 1 x 1 x 768
        return try fc(y.globalAvgPool2d())                        // N x classes
    }
}
