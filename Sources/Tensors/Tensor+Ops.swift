import Kernels

/// The axis order in which `flatten` lays out each image's values.
public enum FlattenOrder: String, Sendable, Codable {
    /// `H x W x C`, as Keras's `Flatten` on channels-last tensors.
    case channelsLast
    /// `C x H x W`, as PyTorch's `torch.flatten` on NCHW tensors.
    case channelsFirst
}

extension Tensor {
    /// A fully connected layer: `activation(self · weight + bias)`.
    ///
    /// See: https://keras.io/api/layers/core_layers/dense/
    /// NOTE: the weight is `in x out` (Keras); PyTorch's Linear stores its transpose.
    /// - Parameters:
    ///   - weight: `inputFeatures x outputFeatures`.
    ///   - bias: `outputFeatures` values, or nil.
    /// - Returns: `N x outputFeatures`.
    /// - Throws: `TensorError.shapeMismatch` when the features do not match.
    public func dense(weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity) throws -> Tensor {
        guard rank == 2, weight.rank == 2, weight.shape[0] == shape[1] else {
            throw TensorError.shapeMismatch(expected: [shape.last ?? 0, weight.shape.last ?? 0], got: weight.shape)
        }
        let (batch, inputs, outputs) = (shape[0], shape[1], weight.shape[1])
        if let bias, bias.count != outputs { throw TensorError.shapeMismatch(expected: [outputs], got: bias.shape) }
        return Tensor(shape: [batch, outputs]) { output in
            withPointer { input in
                weight.withPointer { w in
                    if let bias {
                        bias.withPointer { b in
                            denseForward(output: output, input: input, weight: w, bias: b, batch: batch,
                                         inputFeatures: inputs, outputFeatures: outputs, activation: activation)
                        }
                    } else {
                        denseForward(output: output, input: input, weight: w, bias: nil, batch: batch,
                                     inputFeatures: inputs, outputFeatures: outputs, activation: activation)
                    }
                }
            }
        }
    }

    /// Softmax over the last axis.
    /// - Returns: a tensor of the same shape whose rows sum to 1.
    public func softmax() -> Tensor {
        let columns = shape.last ?? 1
        return Tensor(shape: shape) { output in
            withPointer { softmaxForward(output: output, input: $0, rows: count / max(columns, 1), columns: columns) }
        }
    }

    /// `max(x, 0)` elementwise.
    public func relu() -> Tensor { applying(.relu) }
    /// `min(max(x, 0), 6)` elementwise.
    public func relu6() -> Tensor { applying(.relu6) }

    /// `activation` applied elementwise.
    public func applying(_ activation: Activation) -> Tensor {
        Tensor(shape: shape) { output in
            withPointer { output.update(from: $0, count: count) }
            biasActivationForward(values: output, rows: 1, columns: count, rowStride: count, bias: nil, activation: activation)
        }
    }

    /// Elementwise sum (a residual connection), then `activation`.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func adding(_ other: Tensor, activation: Activation = .identity) throws -> Tensor {
        guard shape == other.shape else { throw TensorError.shapeMismatch(expected: shape, got: other.shape) }
        return Tensor(shape: shape) { output in
            withPointer { a in other.withPointer { b in addForward(output: output, a, b, count: count, activation: activation) } }
        }
    }

    /// Joins NHWC tensors along the channel axis (PyTorch's `torch.cat(dim=1)` on NCHW).
    /// - Throws: `TensorError.shapeMismatch` when the batch, height or width differ.
    public static func concatChannels(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { throw TensorError.invalidArgument("concat of no tensors") }
        let outer = Array(first.shape.dropLast())
        for part in parts where Array(part.shape.dropLast()) != outer || part.rank != first.rank {
            throw TensorError.shapeMismatch(expected: outer + [part.shape.last ?? 0], got: part.shape)
        }
        let total = parts.reduce(0) { $0 + ($1.shape.last ?? 0) }
        let pixels = outer.reduce(1, *)
        return Tensor(shape: outer + [total]) { output in
            var offset = 0
            for part in parts {
                let channels = part.shape.last ?? 0
                part.withPointer { source in
                    for pixel in 0..<pixels {
                        (output + pixel * total + offset).update(from: source + pixel * channels, count: channels)
                    }
                }
                offset += channels
            }
        }
    }

    /// Flattens each image of an NHWC batch into one row.
    /// - Parameters:
    ///   - order: `.channelsLast` (Keras, H-W-C) or `.channelsFirst` (PyTorch, C-H-W), which is
    ///     what a following dense layer's weights were trained against.
    /// - Returns: `N x (H·W·C)`.
    public func flatten(order: FlattenOrder) throws -> Tensor {
        guard rank >= 2 else { throw TensorError.invalidArgument("flatten expects a batch, got shape \(shape)") }
        let features = shape.dropFirst().reduce(1, *)
        switch order {
        case .channelsLast: return try reshaped([shape[0], features])
        case .channelsFirst:
            guard rank == 4 else { throw TensorError.invalidArgument("channels-first flatten expects NHWC, got \(shape)") }
            return try permuted([0, 3, 1, 2]).reshaped([shape[0], features])
        }
    }

    /// The axes reordered: output axis `i` is input axis `axes[i]` (NumPy's `transpose`).
    /// - Throws: `TensorError.invalidArgument` when `axes` is not a permutation of the axes.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.sorted() == Array(0..<rank) else {
            throw TensorError.invalidArgument("\(axes) is not a permutation of \(rank) axes")
        }
        let newShape = axes.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        let strides = axes.map { inputStrides[$0] }
        return Tensor(shape: newShape) { output in
            withPointer { input in
                var index = [Int](repeating: 0, count: rank)
                for i in 0..<count {
                    var offset = 0
                    for axis in 0..<rank { offset += index[axis] * strides[axis] }
                    output[i] = input[offset]
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < newShape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Copies this NHWC tensor into channels `channelOffset ..< channelOffset + C` of `output`,
    /// which has the same batch, height and width: one branch of a concatenation.
    /// - Throws: `TensorError.shapeMismatch` when the shapes do not fit.
    public func copyChannels(into output: Tensor, channelOffset: Int) throws {
        let channels = shape.last ?? 0
        guard rank == output.rank, shape.dropLast() == output.shape.dropLast(),
              channelOffset >= 0, channelOffset + channels <= (output.shape.last ?? 0) else {
            throw TensorError.shapeMismatch(expected: output.shape, got: shape)
        }
        let total = output.shape.last ?? 0
        withPointer { source in
            output.withMutablePointer { destination in
                for pixel in 0..<(count / max(channels, 1)) {
                    (destination + pixel * total + channelOffset).update(from: source + pixel * channels, count: channels)
                }
            }
        }
    }
}
