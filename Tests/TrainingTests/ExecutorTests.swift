import Determinism
import Kernels
import NN
import Tensors
import Testing
@testable import Training

/// The two executors of an architecture's forward pass (`InferenceOps` on tensors, `TapeOps` on
/// the tape in evaluation mode) compute the same values, op by op, from layers that the two
/// factories build out of one spec.
@Suite struct ExecutorTests {
    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(shape: shape) { values in
            for i in 0..<shape.reduce(1, *) { values[i] = Float.random(in: -2...2, using: &generator) }
        }
    }

    func expectEqual(_ a: Tensor, _ b: Variable, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.shape == b.value.shape, sourceLocation: sourceLocation)
        let difference = zip(a.scalars, b.value.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference < 1e-5, "max |difference| \(difference)", sourceLocation: sourceLocation)
    }

    @Test func inferenceAndTapeEvaluationAgreeOpByOp() throws {
        let x = random([2, 9, 9, 4], seed: 1)
        let (inference, tape) = (InferenceOps(), TapeOps(tape: Tape(mode: .evaluation), generator: SplitMix64(seed: 0)))
        let v = Variable(x)
        let padded = PaddingMode.explicit(.symmetric(1))
        expectEqual(try inference.maxPool(x, kernel: (3, 3), stride: (2, 2), padding: padded),
                    try tape.maxPool(v, kernel: (3, 3), stride: (2, 2), padding: padded))
        expectEqual(try inference.avgPool(x, kernel: (3, 3), stride: (1, 1), padding: padded),
                    try tape.avgPool(v, kernel: (3, 3), stride: (1, 1), padding: padded))
        expectEqual(inference.activation(x, .relu6), tape.activation(v, .relu6))
        expectEqual(try inference.add(x, x), try tape.add(v, v))
        expectEqual(inference.dropout(x, rate: 0.5), tape.dropout(v, rate: 0.5))

        let spec = ConvSpec.torch("c", inputChannels: 4, outputChannels: 5, kernel: (3, 3), stride: (2, 2),
                                  padding: .symmetric(1), bias: false, norm: ("bn", 1e-3), activation: .relu)
        let source = RandomParameterSource(seed: 3)
        let (conv, unit) = (try InferenceLayerFactory(source: source).conv(spec), try TrainableLayerFactory(source: source).conv(spec))
        let pooled = try inference.maxPool(x, kernel: (3, 3), stride: (2, 2), padding: padded)
        let concatenated = try inference.concatChannels([.conv(x, conv), .value(pooled)])
        #expect(concatenated.shape == [2, 5, 5, 9])
        expectEqual(concatenated, try tape.concatChannels([.conv(v, unit), .value(Variable(pooled))]))
    }
}
