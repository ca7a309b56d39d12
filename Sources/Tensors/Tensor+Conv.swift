import Kernels

/// How a convolution or pooling layer pads its input.
public enum PaddingMode: Sendable, Equatable {
    /// Keras `valid`: no padding.
    case valid
    /// Keras/TensorFlow `same`: `ceil(input / stride)` outputs, extra padding bottom/right.
    case same
    /// Fixed padding, as PyTorch's `padding=` or Keras's `ZeroPadding2D`.
    case explicit(Padding)

    /// The padding for an input of the given size.
    public func resolve(height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int)) -> Padding {
        switch self {
        case .valid: .none
        case .same: .same(inputHeight: height, inputWidth: width, kernelHeight: kernel.0,
                          kernelWidth: kernel.1, strideHeight: stride.0, strideWidth: stride.1)
        case let .explicit(padding): padding
        }
    }
}

extension Tensor {
    /// 2-D convolution of an NHWC batch: `activation(conv(self, weight) + bias)`.
    ///
    /// See: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
    /// NOTE: the weight is HWIO (`KH x KW x C/groups x OC`, Keras's layout), not PyTorch's OIHW.
    /// - Parameters:
    ///   - weight: `KH x KW x C/groups x OC`.
    ///   - bias: `OC` values, or nil.
    /// - Returns: `N x OH x OW x OC`.
    /// - Throws: `TensorError` when the shapes do not fit together.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: PaddingMode = .valid,
        groups: Int = 1, activation: Activation = .identity
    ) throws -> Tensor {
        let geometry = try convGeometry(weight: weight, stride: stride, padding: padding, groups: groups)
        let output = Tensor(
            shape: [geometry.batch, geometry.outputHeight, geometry.outputWidth, geometry.outputChannels],
            uninitializedFill: { _ in })
        try conv2d(weight: weight, bias: bias, geometry: geometry, activation: activation, into: output, channelOffset: 0)
        return output
    }

    /// The geometry of `conv2d` on this input; see `conv2d(weight:bias:stride:padding:groups:activation:)`.
    /// - Throws: `TensorError` when the shapes do not fit together.
    public func convGeometry(weight: Tensor, stride: (Int, Int), padding: PaddingMode, groups: Int) throws -> ConvGeometry {
        guard rank == 4 else { throw TensorError.invalidArgument("conv2d expects an NHWC input, got shape \(shape)") }
        guard weight.rank == 4, weight.shape[2] * groups == shape[3] else {
            throw TensorError.shapeMismatch(expected: Array(weight.shape.prefix(2)) + [shape[3] / max(groups, 1), weight.shape.last ?? 0], got: weight.shape)
        }
        let pad = padding.resolve(height: shape[1], width: shape[2], kernel: (weight.shape[0], weight.shape[1]), stride: stride)
        guard let geometry = ConvGeometry(
            batch: shape[0], inputHeight: shape[1], inputWidth: shape[2], inputChannels: shape[3],
            outputChannels: weight.shape[3], kernelHeight: weight.shape[0], kernelWidth: weight.shape[1],
            strideHeight: stride.0, strideWidth: stride.1, padding: pad, groups: groups)
        else {
            throw TensorError.invalidArgument("conv2d: kernel \(weight.shape) does not fit input \(shape) with padding \(pad)")
        }
        return geometry
    }

    /// Runs a convolution whose geometry is known and writes it into channels
    /// `channelOffset ..< channelOffset + OC` of `output` (`N x OH x OW x total`), so that the
    /// branches of an Inception block fill their concatenation without copies.
    /// - Throws: `TensorError.shapeMismatch` when `output` or `bias` have the wrong shape.
    public func conv2d(
        weight: Tensor, bias: Tensor?, geometry g: ConvGeometry, activation: Activation,
        into output: Tensor, channelOffset: Int
    ) throws {
        let expected = [g.batch, g.outputHeight, g.outputWidth]
        guard output.rank == 4, Array(output.shape.prefix(3)) == expected,
              channelOffset >= 0, channelOffset + g.outputChannels <= output.shape[3] else {
            throw TensorError.shapeMismatch(expected: expected + [channelOffset + g.outputChannels], got: output.shape)
        }
        if let bias, bias.count != g.outputChannels {
            throw TensorError.shapeMismatch(expected: [g.outputChannels], got: bias.shape)
        }
        withPointer { input in
            weight.withPointer { w in
                output.withMutablePointer { out in
                    if let bias {
                        bias.withPointer { b in
                            conv2dForward(output: out + channelOffset, outputPixelStride: output.shape[3], input: input,
                                          weight: w, bias: b, geometry: g, activation: activation)
                        }
                    } else {
                        conv2dForward(output: out + channelOffset, outputPixelStride: output.shape[3], input: input,
                                      weight: w, bias: nil, geometry: g, activation: activation)
                    }
                }
            }
        }
    }
}
