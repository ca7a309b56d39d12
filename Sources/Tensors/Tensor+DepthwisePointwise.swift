import Kernels

extension Tensor {
    /// MobileNetV2's inverted residual block: an optional expansion (a one-group convolution: the
    /// block's pointwise layer, or the network's stem), a depthwise convolution, a pointwise
    /// projection, then `residual` added,
    /// `conv(conv(conv(self, expand), depthwise), pointwise) + residual`, as one fused kernel
    /// (`depthwisePointwiseForward`) that never writes the expanded or depthwise activations whole to
    /// memory. It gives the same floats as the steps run one by one.
    ///
    /// - Parameters:
    ///   - expand: `KH x KW x Cin x C`, one group, run at `expandStride` with `expandPadding`, or nil
    ///     for none; `expandBias`: `C` values or nil.
    ///   - depthwise: `KH x KW x 1 x C` with `C` groups; `depthwiseBias`: `C` values or nil.
    ///   - pointwise: `1 x 1 x C x OC`, one group, run at stride 1 without padding;
    ///     `pointwiseBias`: `OC` values or nil.
    ///   - residual: `N x OH x OW x OC`, added after `pointwiseActivation`, or nil.
    /// - Returns: `N x OH x OW x OC`.
    /// - Throws: `TensorError` when the weights are not one-group, depthwise and pointwise ones, or
    ///   the shapes do not fit together.
    public func depthwisePointwise(
        expand: ConvWeight? = nil, expandBias: Tensor? = nil, expandStride: (Int, Int) = (1, 1),
        expandPadding: PaddingMode = .valid, expandActivation: Activation = .identity,
        depthwise: ConvWeight, depthwiseBias: Tensor?, stride: (Int, Int), padding: PaddingMode,
        depthwiseActivation: Activation, pointwise: ConvWeight, pointwiseBias: Tensor?,
        pointwiseActivation: Activation, residual: Tensor?
    ) throws -> Tensor {
        guard rank == 4 else { throw TensorError.shapeMismatch(expected: [0, 0, 0, 0], got: shape) }
        let expandGeometry = try expand.map { try convGeometry(weight: $0, stride: expandStride, padding: expandPadding) }
        let packedExpand = expand?.packed?.groups.first
        guard expand.map({ $0.groups == 1 && packedExpand != nil }) ?? true else {
            throw TensorError.invalidArgument("depthwisePointwise needs a one-group expansion weight, got \(expand?.groups ?? 0) groups")
        }
        let expanded = expandGeometry.map { [$0.batch, $0.outputHeight, $0.outputWidth, $0.outputChannels] } ?? shape
        let g = try Self.convGeometry(inputShape: expanded, weight: depthwise, stride: stride, padding: padding)
        let p = pointwise.hwio.shape
        guard depthwise.isDepthwise, let packed = Self.pointwisePacked(pointwise) else {
            throw TensorError.invalidArgument("depthwisePointwise needs a depthwise and a 1x1 weight, got \(depthwise.hwio.shape) "
                                              + "(\(depthwise.groups) groups) and \(p) (\(pointwise.groups) groups)")
        }
        guard p[2] == g.outputChannels else {
            throw TensorError.shapeMismatch(expected: [1, 1, g.outputChannels, p[3]], got: p)
        }
        let outputShape = [g.batch, g.outputHeight, g.outputWidth, p[3]]
        if let residual, residual.shape != outputShape {
            throw TensorError.shapeMismatch(expected: outputShape, got: residual.shape)
        }
        for (bias, count) in [(expandBias, g.inputChannels), (depthwiseBias, g.outputChannels), (pointwiseBias, p[3])] {
            if let bias, bias.count != count { throw TensorError.shapeMismatch(expected: [count], got: bias.shape) }
        }
        func pointer(_ t: Tensor?) -> UnsafePointer<Float>? { t.map { UnsafePointer($0.storage.pointer) } }
        let output = Tensor(shape: outputShape) { out in
            withPointer { input in
                depthwise.hwio.withPointer { w in
                    depthwisePointwiseForward(
                        output: out, input: input, expandWeight: packedExpand, expandGeometry: expandGeometry,
                        expandBias: pointer(expandBias),
                        expandActivation: expandActivation, depthwiseWeight: w, depthwiseBias: pointer(depthwiseBias),
                        depthwise: g, depthwiseActivation: depthwiseActivation, pointwiseWeight: packed,
                        pointwiseBias: pointer(pointwiseBias), pointwiseActivation: pointwiseActivation,
                        residual: pointer(residual))
                }
            }
        }
        withExtendedLifetime((expandBias, depthwiseBias, pointwiseBias, residual, expand, pointwise)) {}
        return output
    }

    /// The packed weight of a 1x1 one-group convolution, or nil for any other weight.
    private static func pointwisePacked(_ w: ConvWeight) -> PackedMatrix? {
        let s = w.hwio.shape
        return w.groups == 1 && s[0] == 1 && s[1] == 1 ? w.packed?.groups.first : nil
    }
}
