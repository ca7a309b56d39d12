import Kernels

extension Tensor {
    /// Max pooling of an NHWC batch.
    ///
    /// See: https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html
    /// - Parameters:
    ///   - ceilMode: PyTorch's `ceil_mode`.
    /// - Returns: `N x OH x OW x C`.
    /// - Throws: `TensorError.invalidArgument` when the window does not fit.
    public func maxPool2d(
        kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode = .valid, ceilMode: Bool = false
    ) throws -> Tensor {
        try pool(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) { output, input, g in
            maxPool2dForward(output: output, outputPixelStride: g.channels, input: input, geometry: g)
        }
    }

    /// Average pooling of an NHWC batch.
    ///
    /// See: https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d.html
    /// - Parameters:
    ///   - countIncludePad: PyTorch's `count_include_pad` (its default, true); Keras's `same`
    ///     average pooling corresponds to false.
    /// - Returns: `N x OH x OW x C`.
    /// - Throws: `TensorError.invalidArgument` when the window does not fit.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode = .valid, ceilMode: Bool = false,
        countIncludePad: Bool = true
    ) throws -> Tensor {
        try pool(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) { output, input, g in
            avgPool2dForward(output: output, outputPixelStride: g.channels, input: input, geometry: g,
                             countIncludePad: countIncludePad)
        }
    }

    private func pool(
        kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode, ceilMode: Bool,
        _ run: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, PoolGeometry) -> Void
    ) throws -> Tensor {
        guard rank == 4 else { throw TensorError.invalidArgument("pooling expects an NHWC input, got shape \(shape)") }
        let pad = padding.resolve(height: shape[1], width: shape[2], kernel: kernel, stride: stride)
        guard let g = PoolGeometry(
            batch: shape[0], inputHeight: shape[1], inputWidth: shape[2], channels: shape[3],
            kernelHeight: kernel.0, kernelWidth: kernel.1, strideHeight: stride.0, strideWidth: stride.1,
            padding: pad, ceilMode: ceilMode)
        else { throw TensorError.invalidArgument("pooling window \(kernel) does not fit input \(shape) with padding \(pad)") }
        return Tensor(shape: [g.batch, g.outputHeight, g.outputWidth, g.channels]) { output in
            withPointer { input in run(output, input, g) }
        }
    }

    /// PyTorch's `AdaptiveAvgPool2d((height, width))` of an NHWC batch.
    /// - Returns: `N x height x width x C`.
    /// - Throws: `TensorError.invalidArgument` for a non-4-D input or an empty output.
    public func adaptiveAvgPool2d(height: Int, width: Int) throws -> Tensor {
        guard rank == 4, height > 0, width > 0 else {
            throw TensorError.invalidArgument("adaptive pooling to \(height)x\(width) of shape \(shape)")
        }
        return Tensor(shape: [shape[0], height, width, shape[3]]) { output in
            withPointer { input in
                adaptiveAvgPool2dForward(
                    output: output, input: input, batch: shape[0], inputHeight: shape[1], inputWidth: shape[2],
                    channels: shape[3], outputHeight: height, outputWidth: width)
            }
        }
    }

    /// Keras's `GlobalAveragePooling2D`: the mean over height and width of an NHWC batch.
    /// - Returns: `N x C`.
    /// - Throws: `TensorError.invalidArgument` for a non-4-D input.
    public func globalAvgPool2d() throws -> Tensor {
        try adaptiveAvgPool2d(height: 1, width: 1).reshaped([shape[0], shape[3]])
    }
}
