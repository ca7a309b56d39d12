import Determinism
import Kernels
import NN
import Tensors
@testable import Training

/// Checks a tape's gradients against central finite differences, as tinygrad's `helper_test_op`
/// checks against torch: the scalar is `L = Σ output · R` for a fixed random `R`, so every
/// output value's gradient matters.
struct GradientCheck {
    var inputShapes: [[Int]]
    var parameters: [Parameter] = []
    /// Values checked per tensor (spread over it), to keep the test fast.
    var samples = 24
    var step: Float = 1e-3
    var seed: UInt64 = 7

    /// The largest difference between analytic and numeric gradients, relative to the larger
    /// of 1 and the largest analytic gradient of that tensor, over every input and parameter.
    func maximumError(_ forward: (Tape, [Variable]) throws -> Variable) throws -> Float {
        var generator = SplitMix64(seed: seed)
        let inputs = inputShapes.map { randomTensor($0, &generator) }
        let variables = inputs.map { Variable($0, requiresGradient: true) }
        let tape = Tape(mode: .training)
        for parameter in parameters { parameter.zeroGradient() }
        let output = try forward(tape, variables)
        let projection = randomTensor(output.value.shape, &generator)
        output.gradientPointer().update(from: projection.storage.pointer, count: projection.count)
        tape.backward()

        func loss() throws -> Double {
            let y = try forward(Tape(mode: .training), inputs.map { Variable($0, requiresGradient: true) }).value
            return (0..<y.count).reduce(0) { $0 + Double(y.storage.pointer[$1]) * Double(projection.storage.pointer[$1]) }
        }
        var worst: Float = 0
        let checked = zip(inputs, variables.map { $0.gradient ?? Tensor(shape: $0.value.shape) })
            + parameters.filter(\.isTrainable).map { ($0.value, $0.gradient) }
        for (value, analytic) in checked {
            let largest = max(1, analytic.scalars.map(abs).max() ?? 0)
            for k in 0..<min(samples, value.count) {
                let i = k * value.count / min(samples, value.count)
                let original = value.storage.pointer[i]
                value.storage.pointer[i] = original + step
                let plus = try loss()
                value.storage.pointer[i] = original - step
                let minus = try loss()
                value.storage.pointer[i] = original
                let numeric = Float((plus - minus) / Double(2 * step))
                worst = max(worst, abs(numeric - analytic.storage.pointer[i]) / largest)
            }
        }
        return worst
    }
}

/// Uniform values in [-1, 1).
func randomTensor(_ shape: [Int], _ generator: inout SplitMix64) -> Tensor {
    Tensor(shape: shape) { values in
        for i in 0..<shape.reduce(1, *) { values[i] = Float.random(in: -1..<1, using: &generator) }
    }
}

/// A trainable parameter of random values.
func randomParameter(_ name: String, _ shape: [Int], role: ParameterRole = .bias, seed: UInt64 = 1) -> Parameter {
    var generator = SplitMix64(seed: seed ^ UInt64(shape.reduce(1, *)))
    return Parameter(name: name, role: role, initial: randomTensor(shape, &generator))
}
