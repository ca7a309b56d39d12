import Kernels
import NN
import Tensors

// The blocks of torchvision's InceptionV3 for training, with the attribute names, branch order
// and channel counts of `Models/InceptionBlocks.swift` (whose parameter list they reproduce);
// each block concatenates its branches with `Tape.concatChannels`.
// See: torchvision's `models/inception.py`.

/// PyTorch's `F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)` (count_include_pad=True).
private func averagePool3x3(_ x: Variable, _ tape: Tape) throws -> Variable {
    try tape.avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)))
}

/// `InceptionA`: 1x1 | 1x1→5x5 | 1x1→3x3→3x3 | avgpool→1x1.
struct TrainableInceptionA {
    let branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool: ConvUnit

    init(_ t: LayerBuilder, _ p: String, inputChannels c: Int, poolFeatures: Int) throws {
        branch1x1 = try t.basicConv("\(p).branch1x1", c, 64, kernel: (1, 1))
        branch5x5_1 = try t.basicConv("\(p).branch5x5_1", c, 48, kernel: (1, 1))
        branch5x5_2 = try t.basicConv("\(p).branch5x5_2", 48, 64, kernel: (5, 5), padding: .symmetric(2))
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 64, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 64, 96, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3 = try t.basicConv("\(p).branch3x3dbl_3", 96, 96, kernel: (3, 3), padding: .symmetric(1))
        branch_pool = try t.basicConv("\(p).branch_pool", c, poolFeatures, kernel: (1, 1))
    }

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        try tape.concatChannels([
            branch1x1(x, tape),
            branch5x5_2(branch5x5_1(x, tape), tape),
            branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x, tape), tape), tape),
            branch_pool(averagePool3x3(x, tape), tape),
        ])
    }
}

/// `InceptionB`: 3x3/2 | 1x1→3x3→3x3/2 | maxpool/2.
struct TrainableInceptionB {
    let branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3: ConvUnit

    init(_ t: LayerBuilder, _ p: String, inputChannels c: Int) throws {
        branch3x3 = try t.basicConv("\(p).branch3x3", c, 384, kernel: (3, 3), stride: (2, 2))
        branch3x3dbl_1 = try t.basicConv("\(p).branch3x3dbl_1", c, 64, kernel: (1, 1))
        branch3x3dbl_2 = try t.basicConv("\(p).branch3x3dbl_2", 64, 96, kernel: (3, 3), padding: .symmetric(1))
        branch3x3dbl_3 = try t.basicConv("\(p).branch3x3dbl_3", 96, 96, kernel: (3, 3), stride: (2, 2))
    }

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        try tape.concatChannels([
            branch3x3(x, tape),
            branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x, tape), tape), tape),
            tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2)),
        ])
    }
}

/// `InceptionC`: 1x1 | 1x1→1x7→7x1 | 1x1→7x1→1x7→7x1→1x7 | avgpool→1x1.
struct TrainableInceptionC {
    let branch1x1, branch7x7_1, branch7x7_2, branch7x7_3: ConvUnit
    let branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool: ConvUnit

    init(_ t: LayerBuilder, _ p: String, inputChannels c: Int, channels7x7 c7: Int) throws {
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

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        var dbl = try branch7x7dbl_2(branch7x7dbl_1(x, tape), tape)
        dbl = try branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(dbl, tape), tape), tape)
        return try tape.concatChannels([
            branch1x1(x, tape),
            branch7x7_3(branch7x7_2(branch7x7_1(x, tape), tape), tape),
            dbl,
            branch_pool(averagePool3x3(x, tape), tape),
        ])
    }
}

/// `InceptionD`: 1x1→3x3/2 | 1x1→1x7→7x1→3x3/2 | maxpool/2.
struct TrainableInceptionD {
    let branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4: ConvUnit

    init(_ t: LayerBuilder, _ p: String, inputChannels c: Int) throws {
        branch3x3_1 = try t.basicConv("\(p).branch3x3_1", c, 192, kernel: (1, 1))
        branch3x3_2 = try t.basicConv("\(p).branch3x3_2", 192, 320, kernel: (3, 3), stride: (2, 2))
        branch7x7x3_1 = try t.basicConv("\(p).branch7x7x3_1", c, 192, kernel: (1, 1))
        branch7x7x3_2 = try t.basicConv("\(p).branch7x7x3_2", 192, 192, kernel: (1, 7), padding: .symmetric(height: 0, width: 3))
        branch7x7x3_3 = try t.basicConv("\(p).branch7x7x3_3", 192, 192, kernel: (7, 1), padding: .symmetric(height: 3, width: 0))
        branch7x7x3_4 = try t.basicConv("\(p).branch7x7x3_4", 192, 192, kernel: (3, 3), stride: (2, 2))
    }

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        let seven = try branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x, tape), tape), tape)
        return try tape.concatChannels([
            branch3x3_2(branch3x3_1(x, tape), tape),
            branch7x7x3_4(seven, tape),
            tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2)),
        ])
    }
}

/// `InceptionE`: 1x1 | 1x1→(1x3 ‖ 3x1) | 1x1→3x3→(1x3 ‖ 3x1) | avgpool→1x1.
struct TrainableInceptionE {
    let branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b: ConvUnit
    let branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool: ConvUnit

    init(_ t: LayerBuilder, _ p: String, inputChannels c: Int) throws {
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

    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        let b3 = try branch3x3_1(x, tape)
        let dbl = try branch3x3dbl_2(branch3x3dbl_1(x, tape), tape)
        return try tape.concatChannels([
            branch1x1(x, tape),
            branch3x3_2a(b3, tape), branch3x3_2b(b3, tape),
            branch3x3dbl_3a(dbl, tape), branch3x3dbl_3b(dbl, tape),
            branch_pool(averagePool3x3(x, tape), tape),
        ])
    }
}

/// `InceptionAux`: avgpool 5/3 → 1x1 conv (128) → 5x5 conv (768) → global pool → fc.
struct TrainableInceptionAux {
    let conv0, conv1: ConvUnit
    let fc: DenseLayer

    init(_ t: LayerBuilder, _ p: String, inputChannels c: Int, classes: Int) throws {
        conv0 = try t.basicConv("\(p).conv0", c, 128, kernel: (1, 1))
        conv1 = try t.basicConv("\(p).conv1", 128, 768, kernel: (5, 5))
        fc = try t.linear("\(p).fc", inputs: 768, outputs: classes)
    }

    /// `N x 17 x 17 x 768` → `N x classes` logits.
    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        var y = try tape.avgPool2d(x, kernel: (5, 5), stride: (3, 3))   // N x 5 x 5 x 768
        y = try conv1(conv0(y, tape), tape)                             // N x 1 x 1 x 768
        return try tape.dense(tape.globalAvgPool2d(y), fc)              // N x classes
    }
}
