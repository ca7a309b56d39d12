import Kernels

extension Tensor {
    /// A convolution, then max pooling without padding, as one fused kernel
    /// (`conv2dMaxPoolForward`) that never writes the convolution's output whole to memory:
    /// `maxPool2d(conv2d(self, weight, bias, activation), kernel: poolKernel, stride: poolStride)`,
    /// the same floats.
    ///
    /// - Parameters:
    ///   - weight: a one-group `KH x KW x C x OC` weight; `bias`: `OC` values or nil.
    ///   - poolKernel, poolStride: the pooling window (floor mode, no padding).
    /// - Returns: `N x PH x PW x OC`.
    /// - Throws: `TensorError` when the weight has groups, or the shapes do not fit together.
    public func conv2dMaxPool(
        weight: ConvWeight, bias: Tensor?, stride: (Int, Int), padding: PaddingMode, activation: Activation,
        poolKernel: (Int, Int), poolStride: (Int, Int)
    ) throws -> Tensor {
        let g = try convGeometry(weight: weight, stride: stride, padding: padding)
        guard g.groups == 1, let packed = weight.packed else {
            throw TensorError.invalidArgument("conv2dMaxPool needs a one-group weight, got \(weight.groups) groups")
        }
        guard let p = PoolGeometry(
            batch: g.batch, inputHeight: g.outputHeight, inputWidth: g.outputWidth, channels: g.outputChannels,
            kernelHeight: poolKernel.0, kernelWidth: poolKernel.1, strideHeight: poolStride.0, strideWidth: poolStride.1)
        else {
            throw TensorError.invalidArgument("pooling window \(poolKernel) does not fit the convolution's "
                                              + "\(g.outputHeight)x\(g.outputWidth) output")
        }
        if let bias, bias.count != g.outputChannels {
            throw TensorError.shapeMismatch(expected: [g.outputChannels], got: bias.shape)
        }
        let output = Tensor(shape: [p.batch, p.outputHeight, p.outputWidth, p.channels]) { out in
            withPointer { input in
                conv2dMaxPoolForward(output: out, input: input, weight: packed, bias: bias.map { UnsafePointer($0.storage.pointer) },
                                     geometry: g, activation: activation, pool: p)
            }
        }
        withExtendedLifetime(bias) {}
        return output
    }
}
