import Kernels
import Tensors

extension Tape {
    /// Max pooling of an NHWC batch (see `Tensor.maxPool2d`); the gradient goes to each
    /// window's maximum.
    public func maxPool2d(
        _ x: Variable, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode = .valid
    ) throws -> Variable {
        let y = try x.value.maxPool2d(kernel: kernel, stride: stride, padding: padding)
        let g = try poolGeometry(x.value, kernel: kernel, stride: stride, padding: padding)
        let output = Variable(y, requiresGradient: x.requiresGradient)
        record(output) { dy in
            maxPool2dBackward(inputGradient: x.gradientPointer(), outputGradient: dy, input: x.value.storage.pointer, geometry: g)
        }
        return output
    }

    /// Average pooling of an NHWC batch (see `Tensor.avgPool2d`), with PyTorch's `count_include_pad`.
    public func avgPool2d(
        _ x: Variable, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode = .valid,
        countIncludePad: Bool = true
    ) throws -> Variable {
        let y = try x.value.avgPool2d(kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
        let g = try poolGeometry(x.value, kernel: kernel, stride: stride, padding: padding)
        let output = Variable(y, requiresGradient: x.requiresGradient)
        record(output) { dy in
            avgPool2dBackward(inputGradient: x.gradientPointer(), outputGradient: dy, geometry: g,
                              countIncludePad: countIncludePad)
        }
        return output
    }

    private func poolGeometry(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> PoolGeometry {
        let pad = padding.resolve(height: x.shape[1], width: x.shape[2], kernel: kernel, stride: stride)
        guard let g = PoolGeometry(
            batch: x.shape[0], inputHeight: x.shape[1], inputWidth: x.shape[2], channels: x.shape[3],
            kernelHeight: kernel.0, kernelWidth: kernel.1, strideHeight: stride.0, strideWidth: stride.1, padding: pad)
        else { throw TensorError.invalidArgument("pooling window \(kernel) does not fit input \(x.shape)") }
        return g
    }

    /// PyTorch's `AdaptiveAvgPool2d((height, width))` of an NHWC batch.
    /// - Returns: `N x height x width x C`.
    public func adaptiveAvgPool2d(_ x: Variable, height: Int, width: Int) throws -> Variable {
        let y = try x.value.adaptiveAvgPool2d(height: height, width: width)
        let s = x.value.shape
        let output = Variable(y, requiresGradient: x.requiresGradient)
        record(output) { dy in
            adaptiveAvgPool2dBackward(
                inputGradient: x.gradientPointer(), outputGradient: dy, batch: s[0], inputHeight: s[1],
                inputWidth: s[2], channels: s[3], outputHeight: height, outputWidth: width)
        }
        return output
    }

    /// The mean over height and width (Keras's `GlobalAveragePooling2D`).
    /// - Returns: `N x C`.
    public func globalAvgPool2d(_ x: Variable) throws -> Variable {
        try reshaped(adaptiveAvgPool2d(x, height: 1, width: 1), [x.value.shape[0], x.value.shape[3]])
    }
}
