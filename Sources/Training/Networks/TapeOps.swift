import Determinism
import Kernels
import NN
import Tensors

/// The training executor of an architecture's forward pass: every step on `tape`, which in
/// training mode records its backward step, uses batch statistics and draws dropout masks from
/// `generator`; in evaluation mode it is the inference arithmetic on running statistics.
final class TapeOps: NetworkOps {
    let tape: Tape
    /// The source of dropout masks; advanced by each dropout in training.
    var generator: SplitMix64

    init(tape: Tape, generator: SplitMix64) { (self.tape, self.generator) = (tape, generator) }

    var isTraining: Bool { tape.isTraining }

    func conv(_ x: Variable, _ layer: ConvUnit) throws -> Variable { try layer(x, tape) }

    func dense(_ x: Variable, _ layer: DenseUnit) throws -> Variable {
        try tape.dense(x, layer.layer, activation: layer.activation)
    }

    func maxPool(_ x: Variable, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Variable {
        try tape.maxPool2d(x, kernel: kernel, stride: stride, padding: padding)
    }

    func avgPool(_ x: Variable, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Variable {
        try tape.avgPool2d(x, kernel: kernel, stride: stride, padding: padding)
    }

    func adaptiveAvgPool(_ x: Variable, height: Int, width: Int) throws -> Variable {
        try tape.adaptiveAvgPool2d(x, height: height, width: width)
    }

    func globalAvgPool(_ x: Variable) throws -> Variable { try tape.globalAvgPool2d(x) }
    func flatten(_ x: Variable, order: FlattenOrder) throws -> Variable { try tape.flatten(x, order: order) }
    func add(_ a: Variable, _ b: Variable) throws -> Variable { try tape.add(a, b) }
    func activation(_ x: Variable, _ activation: Activation) -> Variable { tape.activation(x, activation) }

    func concatChannels(_ branches: [ChannelBranch<Variable, ConvUnit>]) throws -> Variable {
        try tape.concatChannels(branches.map { branch in
            switch branch {
            case let .value(v): v
            case let .conv(v, layer): try layer(v, tape)
            }
        })
    }

    func dropout(_ x: Variable, rate: Float) -> Variable { tape.dropout(x, rate: rate, generator: &generator) }

    /// The input needs no gradient, so its transformation is a plain tensor operation.
    func transformingInput(_ x: Variable, _ transform: (Tensor) throws -> Tensor) throws -> Variable {
        Variable(try transform(x.value))
    }
}
