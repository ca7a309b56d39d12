import Kernels

extension Tensor {
    /// A depthwise convolution, then a pointwise one, then `residual` added: the tail of
    /// MobileNetV2's inverted residual block, `conv(conv(self, depthwise), pointwise) + residual`,
    /// as one fused kernel (`depthwisePointwiseForward`) that never writes the depthwise output
    /// whole to memory. It gives the same floats as the three steps run one by one.
    ///
    /// - Parameters:
    ///   - depthwise: `KH x KW x 1 x C` with `C` groups; `depthwiseBias`: `C` values or nil.
    ///   - pointwise: `1 x 1 x C x OC`, one group, run at stride 1 without padding;
    ///     `pointwiseBias`: `OC` values or nil.
    ///   - residual: `N x OH x OW x OC`, added after `pointwiseActivation`, or nil.
    /// - Returns: `N x OH x OW x OC`.
    /// - Throws: `TensorError` when the weights are not a depthwise and a pointwise one, or the
    ///   shapes do not fit together.
    public func depthwisePointwise(
        depthwise: ConvWeight, depthwiseBias: Tensor?, stride: (Int, Int), padding: PaddingMode,
        depthwiseActivation: Activation, pointwise: ConvWeight, pointwiseBias: Tensor?,
        pointwiseActivation: Activation, residual: Tensor?
    ) throws -> Tensor {
        let g = try convGeometry(weight: depthwise, stride: stride, padding: padding)
        let p = pointwise.hwio.shape
        guard depthwise.isDepthwise, pointwise.groups == 1, p[0] == 1, p[1] == 1, let packed = pointwise.packed?.groups.first
        else {
            throw TensorError.invalidArgument("depthwisePointwise needs a depthwise and a 1x1 weight, got \(depthwise.hwio.shape) "
                                              + "(\(depthwise.groups) groups) and \(p) (\(pointwise.groups) groups)")
        }
        guard p[2] == g.outputChannels else {
            throw TensorError.shapeMismatch(expected: [1, 1, g.outputChannels, p[3]], got: p)
        }
        let shape = [g.batch, g.outputHeight, g.outputWidth, p[3]]
        if let residual, residual.shape != shape { throw TensorError.shapeMismatch(expected: shape, got: residual.shape) }
        if let depthwiseBias, depthwiseBias.count != g.outputChannels {
            throw TensorError.shapeMismatch(expected: [g.outputChannels], got: depthwiseBias.shape)
        }
        if let pointwiseBias, pointwiseBias.count != p[3] {
            throw TensorError.shapeMismatch(expected: [p[3]], got: pointwiseBias.shape)
        }
        func pointer(_ t: Tensor?) -> UnsafePointer<Float>? { t.map { UnsafePointer($0.storage.pointer) } }
        let output = Tensor(shape: shape) { out in
            withPointer { input in
                depthwise.hwio.withPointer { w in
                    depthwisePointwiseForward(
                        output: out, input: input, depthwiseWeight: w, depthwiseBias: pointer(depthwiseBias), depthwise: g,
                        depthwiseActivation: depthwiseActivation, pointwiseWeight: packed, pointwiseBias: pointer(pointwiseBias),
                        pointwiseActivation: pointwiseActivation, residual: pointer(residual))
                }
            }
        }
        withExtendedLifetime((depthwiseBias, pointwiseBias, residual, pointwise)) {}
        return output
    }
}
