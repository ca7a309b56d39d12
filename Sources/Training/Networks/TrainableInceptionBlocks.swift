import Kernels
import Models
import NN
import Tensors

// The training forward passes of InceptionV3's blocks, whose layers `Models/InceptionBlocks.swift`
// defines once for inference and training (here built by `LayerBuilder` as `ConvUnit`s); each
// block concatenates its branches with `Tape.concatChannels`.
// See: torchvision's `models/inception.py`.

extension LayerBuilder: InceptionLayerFactory {}

/// PyTorch's `F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)` (count_include_pad=True).
private func averagePool3x3(_ x: Variable, _ tape: Tape) throws -> Variable {
    try tape.avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)))
}

/// `InceptionA`: 1x1 | 1x1→5x5 | 1x1→3x3→3x3 | avgpool→1x1.
extension InceptionA where Conv == ConvUnit {
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
extension InceptionB where Conv == ConvUnit {
    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        try tape.concatChannels([
            branch3x3(x, tape),
            branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x, tape), tape), tape),
            tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2)),
        ])
    }
}

/// `InceptionC`: 1x1 | 1x1→1x7→7x1 | 1x1→7x1→1x7→7x1→1x7 | avgpool→1x1.
extension InceptionC where Conv == ConvUnit {
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
extension InceptionD where Conv == ConvUnit {
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
extension InceptionE where Conv == ConvUnit {
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
extension InceptionAux where Conv == ConvUnit, Linear == DenseLayer {
    /// `N x 17 x 17 x 768` → `N x classes` logits.
    func callAsFunction(_ x: Variable, _ tape: Tape) throws -> Variable {
        var y = try tape.avgPool2d(x, kernel: (5, 5), stride: (3, 3))   // N x 5 x 5 x 768
        y = try conv1(conv0(y, tape), tape)                             // N x 1 x 1 x 768
        return try tape.dense(tape.globalAvgPool2d(y), fc)              // N x classes
    }
}
