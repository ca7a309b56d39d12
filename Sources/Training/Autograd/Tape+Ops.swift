import Determinism
import Kernels
import Tensors

extension Tape {
    /// `activation(x)` elementwise.
    public func activation(_ x: Variable, _ activation: Activation) -> Variable {
        let y = x.value.applying(activation)
        let output = Variable(y, requiresGradient: x.requiresGradient)
        record(output) { dy in
            activationBackward(gradient: dy, output: y.storage.pointer, count: y.count, activation: activation)
            Self.add(dy, into: x.gradientPointer(), count: y.count)
        }
        return output
    }

    /// `a + b` elementwise: a residual connection. Both inputs receive the output's gradient.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func add(_ a: Variable, _ b: Variable) throws -> Variable {
        let output = Variable(try a.value.adding(b.value), requiresGradient: a.requiresGradient || b.requiresGradient)
        let count = output.value.count
        record(output) { dy in
            if a.requiresGradient { Self.add(dy, into: a.gradientPointer(), count: count) }
            if b.requiresGradient { Self.add(dy, into: b.gradientPointer(), count: count) }
        }
        return output
    }

    /// NHWC tensors joined along the channel axis (an Inception block's `torch.cat(dim=1)`); each
    /// part receives its slice of the output's gradient.
    public func concatChannels(_ parts: [Variable]) throws -> Variable {
        let y = try Tensor.concatChannels(parts.map(\.value))
        let output = Variable(y, requiresGradient: parts.contains { $0.requiresGradient })
        record(output) { dy in
            let total = y.shape[3], pixels = y.count / max(total, 1)
            var offset = 0
            for part in parts {
                let channels = part.value.shape[3]
                if part.requiresGradient {
                    let dx = part.gradientPointer()
                    for pixel in 0..<pixels {
                        let source = dy + pixel * total + offset, destination = dx + pixel * channels
                        for c in 0..<channels { destination[c] += source[c] }
                    }
                }
                offset += channels
            }
        }
        return output
    }

    /// The same values with another shape.
    public func reshaped(_ x: Variable, _ shape: [Int]) throws -> Variable {
        let output = Variable(try x.value.reshaped(shape), requiresGradient: x.requiresGradient)
        record(output) { dy in Self.add(dy, into: x.gradientPointer(), count: x.value.count) }
        return output
    }

    /// Each image of an NHWC batch as one row, in Keras's H-W-C or PyTorch's C-H-W order.
    /// - Returns: `N x (H·W·C)`.
    public func flatten(_ x: Variable, order: FlattenOrder) throws -> Variable {
        guard order == .channelsFirst else { return try reshaped(x, [x.value.shape[0], x.value.count / x.value.shape[0]]) }
        let output = Variable(try x.value.flatten(order: order), requiresGradient: x.requiresGradient)
        record(output) { dy in
            let s = x.value.shape
            let chw = Tensor(shape: [s[0], s[3], s[1], s[2]]) { $0.update(from: dy, count: x.value.count) }
            guard let nhwc = try? chw.permuted([0, 2, 3, 1]) else { return }
            Self.add(nhwc.storage.pointer, into: x.gradientPointer(), count: nhwc.count)
        }
        return output
    }

    /// A fully connected layer, `activation(x · W + b)`, with a Keras `in x out` or PyTorch
    /// `out x in` weight.
    /// - Returns: `N x outputs`.
    /// - Throws: `TensorError.shapeMismatch` when `x` is not `N x inputs`.
    public func dense(_ x: Variable, _ layer: DenseLayer, activation: Activation = .identity) throws -> Variable {
        let (inputs, outputs) = (layer.inputs, layer.outputs)
        guard x.value.rank == 2, x.value.shape[1] == inputs else {
            throw TensorError.shapeMismatch(expected: [x.value.shape.first ?? 0, inputs], got: x.value.shape)
        }
        let batch = x.value.shape[0]
        let w = layer.weight.value.storage.pointer, input = x.value.storage.pointer
        let y = Tensor(shape: [batch, outputs], uninitializedFill: { y in
            parallelChunks(outputs, minimumChunk: 64) { columns in
                gemm(m: batch, n: columns.count, k: inputs, a: input, lda: inputs, transposeA: false,
                     b: layer.isTransposed ? w + columns.lowerBound * inputs : w + columns.lowerBound,
                     ldb: layer.isTransposed ? inputs : outputs, transposeB: layer.isTransposed,
                     c: y + columns.lowerBound, ldc: outputs, beta: 0)
                biasActivationForward(
                    values: y + columns.lowerBound, rows: batch, columns: columns.count, rowStride: outputs,
                    bias: layer.bias.map { UnsafePointer($0.value.storage.pointer + columns.lowerBound) },
                    activation: activation)
            }
        })
        let output = Variable(y, requiresGradient: x.requiresGradient || layer.hasTrainableParameters)
        record(output) { dy in
            activationBackward(gradient: dy, output: y.storage.pointer, count: y.count, activation: activation)
            denseBackward(
                inputGradient: x.gradientIfNeeded, weightGradient: layer.weight.gradientIfTrainable,
                biasGradient: layer.bias?.gradientIfTrainable, outputGradient: dy, input: x.value.storage.pointer,
                weight: layer.weight.value.storage.pointer, weightIsTransposed: layer.isTransposed,
                batch: batch, inputFeatures: inputs, outputFeatures: outputs)
        }
        return output
    }

    /// Inverted dropout: in training, each value is kept with probability `1 − rate` and scaled
    /// by `1/(1 − rate)`, the mask drawn from `generator`; in evaluation, the identity.
    public func dropout(_ x: Variable, rate: Float, generator: inout SplitMix64) -> Variable {
        guard isTraining, rate > 0 else { return x }
        let keep = 1 - rate
        let mask = Tensor(shape: x.value.shape) { mask in
            for i in 0..<x.value.count {
                mask[i] = Float(generator.next() >> 40) * 0x1p-24 < keep ? 1 / keep : 0
            }
        }
        let y = Tensor(shape: x.value.shape) { y in
            for i in 0..<mask.count { y[i] = x.value.storage.pointer[i] * mask.storage.pointer[i] }
        }
        let output = Variable(y, requiresGradient: x.requiresGradient)
        record(output) { dy in
            let dx = x.gradientPointer()
            for i in 0..<mask.count { dx[i] += dy[i] * mask.storage.pointer[i] }
        }
        return output
    }

    /// `destination += source` over `count` values.
    static func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        parallelChunks(count, minimumChunk: 1 << 16) { range in
            for i in range { destination[i] += source[i] }
        }
    }
}
