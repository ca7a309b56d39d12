import Kernels
import Tensors

extension Tape {
    /// `activation(conv(x, W) + b)` over an NHWC batch, with the weight in the layer's layout.
    ///
    /// The forward pass is the inference kernel (implicit GEMM or direct tiles, or the depthwise
    /// kernel), with the weight packed afresh since it changes every step. Not by Winograd: it
    /// made VGG16's training step 5-10 % faster (batch 8), but at 32 px its rounding (3e-6 in the
    /// three layers that took it) turned one ReLU input of the next layer, 3e-7, from positive
    /// to negative, and the gradients of the layers below then differ from the torchvision
    /// golden by 13 times its tolerance (1e-4 of the largest; the loss by 4e-7).
    /// The backward pass is `conv2dBackward` (at stride 1 its input gradient a convolution, by
    /// Winograd where the shape allows, and a 3x3 weight gradient by Winograd F(2x2, 3x3)) or
    /// `depthwiseConv2dBackward`.
    /// - Returns: `N x OH x OW x OC`.
    /// - Throws: `TensorError` when the shapes do not fit together.
    public func conv2d(_ x: Variable, _ layer: ConvLayer, activation: Activation = .identity) throws -> Variable {
        let hwio = try layer.hwioWeight()
        let weight = try ConvWeight(hwio: hwio, groups: layer.groups)
        let geometry = try x.value.convGeometry(weight: weight, stride: layer.stride, padding: layer.padding)
        let y = try x.value.conv2d(weight: weight, bias: layer.bias?.value, stride: layer.stride,
                                   padding: layer.padding, activation: activation)
        let output = Variable(y, requiresGradient: x.requiresGradient || layer.hasTrainableParameters)
        record(output) { dy in
            activationBackward(gradient: dy, output: y.storage.pointer, count: y.count, activation: activation)
            // PyTorch weights get an HWIO gradient first, transposed into theirs after.
            let hwioGradient = layer.weight.isTrainable && layer.layout == .oihw ? Tensor(shape: hwio.shape) : nil
            let weightGradient = hwioGradient?.storage.pointer ?? layer.weight.gradientIfTrainable
            let kernel = layer.groups == 1 ? conv2dBackward : depthwiseConv2dBackward
            kernel(x.gradientIfNeeded, weightGradient, layer.bias?.gradientIfTrainable, dy,
                   x.value.storage.pointer, hwio.storage.pointer, geometry)
            if let hwioGradient { Self.addOIHW(hwioGradient, into: layer.weight.gradient) }
            withExtendedLifetime((x, hwio)) {}
        }
        return output
    }

    /// Adds an HWIO `KH x KW x C x OC` gradient into an OIHW `OC x C x KH x KW` one.
    private static func addOIHW(_ hwio: Tensor, into oihw: Tensor) {
        let (kh, kw, c, oc) = (hwio.shape[0], hwio.shape[1], hwio.shape[2], hwio.shape[3])
        let source = hwio.storage.pointer, destination = oihw.storage.pointer
        for o in 0..<oc {
            for i in 0..<c {
                for tap in 0..<(kh * kw) { destination[(o * c + i) * kh * kw + tap] += source[(tap * c + i) * oc + o] }
            }
        }
    }

    /// Batch normalisation over the channels of an NHWC batch, then `activation`.
    ///
    /// In training mode (and, for Keras, while its scale is trainable) it normalises with the
    /// batch's mean and biased variance and moves the running statistics by the framework's
    /// rule (`NormConvention`); otherwise it uses the running statistics, as inference does.
    /// See: https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
    /// - Returns: the same shape as `x`.
    /// - Throws: `TensorError.shapeMismatch` when the channels differ from the layer's.
    public func batchNorm(_ x: Variable, _ layer: BatchNormLayer, activation: Activation = .identity) throws -> Variable {
        let channels = layer.scale.value.count
        guard x.value.shape.last == channels else {
            throw TensorError.shapeMismatch(expected: [channels], got: [x.value.shape.last ?? 0])
        }
        let pixels = x.value.count / max(channels, 1)
        let batchStatistics = isTraining && layer.usesBatchStatistics
        var mean = [Float](repeating: 0, count: channels), variance = mean
        if batchStatistics {
            batchNormStatistics(mean: &mean, variance: &variance, input: x.value.storage.pointer, pixels: pixels, channels: channels)
            Self.updateRunningStatistics(layer, mean: mean, variance: variance, pixels: pixels)
        } else {
            mean = layer.mean.value.scalars
            variance = layer.variance.value.scalars
        }
        let inverseStd = variance.map { 1 / ($0 + layer.epsilon).squareRoot() }
        let y = Tensor(shape: x.value.shape, uninitializedFill: { y in
            batchNormForward(output: y, input: x.value.storage.pointer, mean: mean, inverseStd: inverseStd,
                             scale: layer.scale.value.storage.pointer, shift: layer.shift.value.storage.pointer,
                             pixels: pixels, channels: channels, activation: activation)
        })
        let output = Variable(y, requiresGradient: x.requiresGradient || layer.hasTrainableParameters)
        record(output) { dy in
            activationBackward(gradient: dy, output: y.storage.pointer, count: y.count, activation: activation)
            batchNormBackward(
                inputGradient: x.gradientIfNeeded, scaleGradient: layer.scale.gradientIfTrainable,
                shiftGradient: layer.shift.gradientIfTrainable, outputGradient: dy, input: x.value.storage.pointer,
                mean: mean, inverseStd: inverseStd, scale: layer.scale.value.storage.pointer,
                pixels: pixels, channels: channels, batchStatistics: batchStatistics)
        }
        return output
    }

    private static func updateRunningStatistics(_ layer: BatchNormLayer, mean: [Float], variance: [Float], pixels: Int) {
        let runningMean = layer.mean.value.storage.pointer, runningVariance = layer.variance.value.storage.pointer
        switch layer.convention {
        case .keras:
            for c in mean.indices {
                runningMean[c] = runningMean[c] * 0.99 + mean[c] * 0.01
                runningVariance[c] = runningVariance[c] * 0.99 + variance[c] * 0.01
            }
        case .torch:
            let unbiased = Float(pixels) / Float(max(pixels - 1, 1))
            for c in mean.indices {
                runningMean[c] = runningMean[c] * 0.9 + mean[c] * 0.1
                runningVariance[c] = runningVariance[c] * 0.9 + variance[c] * unbiased * 0.1
            }
        }
    }
}
