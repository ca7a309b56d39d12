import Kernels
import NN
import Tensors

// The blocks of torchvision's InceptionV3, in its order and with its attribute names, each with
// its forward pass written once over `NetworkOps`. A block's branches are concatenated along
// channels (`torch.cat(outputs, 1)`); in inference each branch's last convolution writes straight
// into its slice of the output.
// See: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
// https://arxiv.org/abs/1512.00567 and torchvision's `models/inception.py`.

extension LayerFactory {
    /// torchvision Inception's `BasicConv2d` at `prefix`: a bias-free convolution (`PREFIX.conv`),
    /// batch normalisation with epsilon 1e-3 (`PREFIX.bn`) and ReLU.
    func basicConv(
        _ prefix: String, _ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: Padding = .none
    ) throws -> Conv {
        try conv(.torch("\(prefix).conv", inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel,
                        stride: stride, padding: padding, bias: false, norm: ("\(prefix).bn", 1e-3), activation: .relu))
    }
}

/// PyTorch's `F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)` (count_include_pad=True).
private func averagePool3x3<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value {
    try ops.avgPool(x, kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)))
}

/// `InceptionA(in, pool_features)`: 1x1 | 1x1→5x5 | 1x1→3x3→3x3 | avgpool→1x1;
/// 64 + 64 + 96 + pool_features channels.
public struct InceptionA<Conv: Sendable>: Sendable {
    public let branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool: Conv

    public init<Factory: LayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int, poolFeatures: Int) throws
    where Factory.Conv == Conv {
        branch1x1 = try t.basicConv("\(p).branch1x1", c, 64, kernel: (1, 1))
        branch5x5_1 = try t.basicConv("\(p).branch5x5_1", c, 48, kernel: (1, 1))
        branch5x5_2 = try t.basicConv("\(p).branch5x5_2", 48, 64, kernel: (5, 5), padding: .symmetric(2))
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 64, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 64, 96, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3 = try t.basicConv("\(p).branch3x3dbl_3", 96, 96, kernel: (3, 3), padding: .symmetric(1))
        branch_pool = try t.basicConv("\(p).branch_pool", c, poolFeatures, kernel: (1, 1))
    }

    public func forward<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
        try ops.concatChannels([
            .conv(x, branch1x1),
            .conv(try ops.conv(x, branch5x5_1), branch5x5_2),
            .conv(try ops.conv(ops.conv(x, branch3x3dbl_1), branch3x3dbl_2), branch3x3dbl_3),
            .conv(try averagePool3x3(x, ops), branch_pool),
        ])
    }
}

/// `InceptionB(in)`: 3x3/2 | 1x1→3x3→3x3/2 | maxpool/2; 384 + 96 + in channels.
public struct InceptionB<Conv: Sendable>: Sendable {
    public let branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3: Conv

    public init<Factory: LayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int) throws
    where Factory.Conv == Conv {
        branch3x3 = try t.basicConv("\(p).branch3x3", c, 384, kernel: (3, 3), stride: (2, 2))
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 64, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 64, 96, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3 = try t.basicConv("\(p).branch3x3dbl_3", 96, 96, kernel: (3, 3), stride: (2, 2))
    }

    public func forward<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
        try ops.concatChannels([
            .conv(x, branch3x3),
            .conv(try ops.conv(ops.conv(x, branch3x3dbl_1), branch3x3dbl_2), branch3x3dbl_3),
            .value(try ops.maxPool(x, kernel: (3, 3), stride: (2, 2))),
        ])
    }
}

/// `InceptionC(in, channels_7x7)`: 1x1 | 1x1→1x7→7x1 | 1x1→7x1→1x7→7x1→1x7 | avgpool→1x1;
/// 4 x 192 channels.
public struct InceptionC<Conv: Sendable>: Sendable {
    public let branch1x1, branch7x7_1, branch7x7_2, branch7x7_3: Conv
    public let branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool: Conv

    public init<Factory: LayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int, channels7x7 c7: Int) throws
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

    public func forward<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
        let dbl = try ops.conv(ops.conv(ops.conv(x, branch7x7dbl_1), branch7x7dbl_2), branch7x7dbl_3)
        return try ops.concatChannels([
            .conv(x, branch1x1),
            .conv(try ops.conv(ops.conv(x, branch7x7_1), branch7x7_2), branch7x7_3),
            .conv(try ops.conv(dbl, branch7x7dbl_4), branch7x7dbl_5),
            .conv(try averagePool3x3(x, ops), branch_pool),
        ])
    }
}

/// `InceptionD(in)`: 1x1→3x3/2 | 1x1→1x7→7x1→3x3/2 | maxpool/2; 320 + 192 + in channels.
public struct InceptionD<Conv: Sendable>: Sendable {
    public let branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4: Conv

    public init<Factory: LayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int) throws
    where Factory.Conv == Conv {
        branch3x3_1 = try t.basicConv("\(p).branch3x3_1", c, 192, kernel: (1, 1))
        branch3x3_2 = try t.basicConv("\(p).branch3x3_2", 192, 320, kernel: (3, 3), stride: (2, 2))
        branch7x7x3_1 = try t.basicConv("\(p).branch7x7x3_1", c, 192, kernel: (1, 1))
        branch7x7x3_2 = try t.basicConv("\(p).branch7x7x3_2", 192, 192, kernel: (1, 7), padding: .symmetric(height: 0, width: 3))
        branch7x7x3_3 = try t.basicConv("\(p).branch7x7x3_3", 192, 192, kernel: (7, 1), padding: .symmetric(height: 3, width: 0))
        branch7x7x3_4 = try t.basicConv("\(p).branch7x7x3_4", 192, 192, kernel: (3, 3), stride: (2, 2))
    }

    public func forward<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
        try ops.concatChannels([
            .conv(try ops.conv(x, branch3x3_1), branch3x3_2),
            .conv(try ops.conv(ops.conv(ops.conv(x, branch7x7x3_1), branch7x7x3_2), branch7x7x3_3), branch7x7x3_4),
            .value(try ops.maxPool(x, kernel: (3, 3), stride: (2, 2))),
        ])
    }
}

/// `InceptionE(in)`: 1x1 | 1x1→(1x3 ‖ 3x1) | 1x1→3x3→(1x3 ‖ 3x1) | avgpool→1x1;
/// 320 + 768 + 768 + 192 = 2048 channels.
public struct InceptionE<Conv: Sendable>: Sendable {
    public let branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b: Conv
    public let branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool: Conv

    public init<Factory: LayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int) throws
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

    public func forward<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv {
        let b3 = try ops.conv(x, branch3x3_1)
        let dbl = try ops.conv(ops.conv(x, branch3x3dbl_1), branch3x3dbl_2)
        return try ops.concatChannels([
            .conv(x, branch1x1),
            .conv(b3, branch3x3_2a), .conv(b3, branch3x3_2b),
            .conv(dbl, branch3x3dbl_3a), .conv(dbl, branch3x3dbl_3b),
            .conv(try averagePool3x3(x, ops), branch_pool),
        ])
    }
}

/// `InceptionAux(768, classes)`: the auxiliary classifier on `Mixed_6e`, used only in training
/// (its loss is weighted 0.4). avgpool 5/3 → 1x1 conv (128) → 5x5 conv (768) → global pool → fc.
public struct InceptionAux<Conv: Sendable, Linear: Sendable>: Sendable {
    public let conv0, conv1: Conv
    public let fc: Linear

    public init<Factory: LayerFactory>(_ t: Factory, _ p: String, inputChannels c: Int, classes: Int) throws
    where Factory.Conv == Conv, Factory.Linear == Linear {
        conv0 = try t.basicConv("\(p).conv0", c, 128, kernel: (1, 1))
        conv1 = try t.basicConv("\(p).conv1", 128, 768, kernel: (5, 5))
        fc = try t.linear(.torch("\(p).fc", inputs: 768, outputs: classes))
    }

    /// `N x 17 x 17 x 768` → `N x classes` logits.
    public func forward<Ops: NetworkOps>(_ x: Ops.Value, _ ops: Ops) throws -> Ops.Value
    where Ops.Conv == Conv, Ops.Linear == Linear {
        var y = try ops.avgPool(x, kernel: (5, 5), stride: (3, 3))   // N x 5 x 5 x 768
        y = try ops.conv(ops.conv(y, conv0), conv1)                   // N x 1 x 1 x 768
        return try ops.dense(ops.globalAvgPool(y), fc)                // N x classes
    }
}

