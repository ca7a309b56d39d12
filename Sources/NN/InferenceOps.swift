import Kernels
import Tensors

/// Makes inference layers from specs, reading each parameter from `source` in the spec's order:
/// PyTorch weights transposed to HWIO / `in x out` here, once, and batch normalisation folded
/// into its convolution. Convolutions are packed for `precision` (bf16, int8: also in that format);
/// for int8 with `int8Calibration`, only the layers it passes (`Int8Calibration.runsInt8`), the
/// others in fp32.
public struct InferenceLayerFactory: LayerFactory {
    public let source: ParameterSource
    public let precision: Precision
    public let int8Calibration: Int8Calibration?

    public init(source: ParameterSource, precision: Precision = .fp32, int8Calibration: Int8Calibration? = nil) {
        (self.source, self.precision, self.int8Calibration) = (source, precision, int8Calibration)
    }

    public func conv(_ spec: ConvSpec) throws -> Conv2D {
        let weight = try source.tensor(spec.weight)
        let bias = try spec.bias.map { try source.tensor($0) }
        let norm = try spec.norm.map { norm in
            BatchNorm(scale: try source.tensor(norm.scale).scalars, shift: try source.tensor(norm.shift).scalars,
                      mean: try source.tensor(norm.mean).scalars, variance: try source.tensor(norm.variance).scalars,
                      epsilon: norm.epsilon)
        }
        let hwio: Tensor
        switch spec.layout {
        case .hwio: hwio = weight
        case .oihw: hwio = try weight.permuted([2, 3, 1, 0])
        case .depthwise:
            // `KH x KW x C x 1` and HWIO `KH x KW x 1 x C` hold the same values in the same order.
            let shape = weight.shape
            hwio = try weight.reshaped([shape[0], shape[1], 1, shape[2]])
        }
        let layerPrecision = precision == .int8 && int8Calibration?.runsInt8(spec.weight.name) == false ? .fp32 : precision
        return try Conv2D(weight: hwio, bias: bias, stride: spec.stride, padding: spec.padding, groups: spec.groups,
                          activation: spec.activation, normalization: norm, precision: layerPrecision, name: spec.weight.name)
    }

    public func linear(_ spec: LinearSpec) throws -> Dense {
        let weight = try source.tensor(spec.weight)
        return Dense(weight: spec.isTransposed ? try weight.permuted([1, 0]) : weight,
                     bias: try source.tensor(spec.bias), activation: spec.activation)
    }
}

/// The inference executor: each step is the fused tensor kernel; dropout is the identity, and a
/// channel concatenation writes every branch's last convolution straight into its slice of the
/// output.
public struct InferenceOps: NetworkOps {
    public init() {}

    public var isTraining: Bool { false }

    public func conv(_ x: Tensor, _ layer: Conv2D) throws -> Tensor { try layer(x) }
    public func dense(_ x: Tensor, _ layer: Dense) throws -> Tensor { try layer(x) }

    /// The fused kernel (`Tensor.depthwisePointwise`), which keeps the expanded and depthwise
    /// activations in cache, when the layers are an optional one-group expansion, a depthwise and a
    /// 1x1 convolution (stride 1, unpadded) and the input has `fusedBlockMinimumRows` rows or more;
    /// else the separate steps.
    public func depthwisePointwise(
        _ x: Tensor, expand: Conv2D?, depthwise: Conv2D, pointwise: Conv2D, residual: Tensor?
    ) throws -> Tensor {
        guard depthwise.convWeight.isDepthwise, Self.isPointwise(pointwise),
              expand.map({ $0.groups == 1 && !$0.convWeight.isDepthwise }) ?? true,
              x.rank == 4, x.shape[1] >= Self.fusedBlockMinimumRows else {
            return try depthwisePointwiseSeparately(x, expand: expand, depthwise: depthwise, pointwise: pointwise, residual: residual)
        }
        return try x.depthwisePointwise(
            expand: expand?.convWeight, expandBias: expand?.bias, expandStride: expand?.stride ?? (1, 1),
            expandPadding: expand?.padding ?? .valid, expandActivation: expand?.activation ?? .identity,
            depthwise: depthwise.convWeight, depthwiseBias: depthwise.bias, stride: depthwise.stride,
            padding: depthwise.padding, depthwiseActivation: depthwise.activation, pointwise: pointwise.convWeight,
            pointwiseBias: pointwise.bias, pointwiseActivation: pointwise.activation, residual: residual)
    }

    /// The fused kernel (`Tensor.conv2dMaxPool`), which keeps the convolution's output in cache,
    /// where the layer `prefersFusedMaxPool` and does not run by Winograd; else the two steps.
    /// Winograd's fewer products outweigh the cache: VGG16's second layer and its pooling took 6.1
    /// ms at batch 1 against 8.2 fused (two threads, Zen 5 VM).
    public func convMaxPool(_ x: Tensor, _ layer: Conv2D, kernel: (Int, Int), stride: (Int, Int)) throws -> Tensor {
        let g = try x.convGeometry(weight: layer.convWeight, stride: layer.stride, padding: layer.padding)
        guard g.prefersFusedMaxPool, !layer.convWeight.runsWinograd(g) else {
            return try maxPool(conv(x, layer), kernel: kernel, stride: stride)
        }
        return try x.conv2dMaxPool(weight: layer.convWeight, bias: layer.bias, stride: layer.stride, padding: layer.padding,
                                   activation: layer.activation, poolKernel: kernel, poolStride: stride)
    }

    /// The fewest input rows an image for which a block runs fused. The fused kernel splits each
    /// image's output rows into bands and multiplies each band by the projection on its own: with
    /// 7-pixel rows, bands of 21-28 pixels (two or three 12-pixel panels, the last part empty), while
    /// the separate layers multiply all the batch's pixels at once, split over the threads by pixels
    /// or channels.
    ///
    /// Until 2026-12-05 the rule was 785 input pixels over the batch, measured when each band's
    /// buffer was a malloc block of its own: then, at batch 1, separate layers for inputs of 28 x 28
    /// and smaller took 0.93-0.97x the time of every block fused. With the bands in per-thread
    /// scratch (`ScratchSlot.bands`), MobileNetV2 at batch 1 on the 2-core Zen 2 VM took 0.90x the
    /// time of that rule with the 28 x 28 and 14 x 14 blocks fused too (16 alternating rounds,
    /// 0.85-1.01), 0.94x with only the 28 x 28 ones, 0.95x with the 7 x 7 ones as well (10 rounds);
    /// at batch 8, fusing the 7 x 7 blocks took 1.02x (8 rounds), one thread the same time either way.
    static let fusedBlockMinimumRows = 14

    /// A 1x1 one-group convolution at stride 1 without padding.
    private static func isPointwise(_ layer: Conv2D) -> Bool {
        let p = layer.weight.shape
        return layer.groups == 1 && p[0] == 1 && p[1] == 1 && layer.stride == (1, 1)
            && layer.padding.resolve(height: 1, width: 1, kernel: (1, 1), stride: (1, 1)) == .none
    }

    public func maxPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Tensor {
        try x.maxPool2d(kernel: kernel, stride: stride, padding: padding)
    }

    public func avgPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Tensor {
        try x.avgPool2d(kernel: kernel, stride: stride, padding: padding)
    }

    public func adaptiveAvgPool(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        try x.adaptiveAvgPool2d(height: height, width: width)
    }

    public func globalAvgPool(_ x: Tensor) throws -> Tensor { try x.globalAvgPool2d() }
    public func flatten(_ x: Tensor, order: FlattenOrder) throws -> Tensor { try x.flatten(order: order) }
    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try a.adding(b) }
    public func activation(_ x: Tensor, _ activation: Activation) -> Tensor { x.applying(activation) }
    public func dropout(_ x: Tensor, rate: Float) -> Tensor { x }

    public func transformingInput(_ x: Tensor, _ transform: (Tensor) throws -> Tensor) throws -> Tensor {
        try transform(x)
    }

    /// Allocates the output once (batch, height and width of the first branch) and fills each
    /// branch's channel slice: a convolution writes its output there directly.
    public func concatChannels(_ branches: [ChannelBranch<Tensor, Conv2D>]) throws -> Tensor {
        guard let first = branches.first else { throw TensorError.invalidArgument("a concatenation needs a branch") }
        let (batch, height, width): (Int, Int, Int)
        switch first {
        case let .value(v):
            guard v.rank == 4 else { throw TensorError.shapeMismatch(expected: [0, 0, 0, 0], got: v.shape) }
            (batch, height, width) = (v.shape[0], v.shape[1], v.shape[2])
        case let .conv(v, layer):
            let g = try v.convGeometry(weight: layer.convWeight, stride: layer.stride, padding: layer.padding)
            (batch, height, width) = (g.batch, g.outputHeight, g.outputWidth)
        }
        let channels = branches.reduce(0) { total, branch in
            switch branch {
            case let .value(v): total + (v.shape.last ?? 0)
            case let .conv(_, layer): total + layer.outputChannels
            }
        }
        let output = Tensor(shape: [batch, height, width, channels], uninitializedFill: { _ in })
        var offset = 0
        for branch in branches {
            switch branch {
            case let .value(v):
                try v.copyChannels(into: output, channelOffset: offset)
                offset += v.shape.last ?? 0
            case let .conv(v, layer):
                try layer(v, into: output, channelOffset: offset)
                offset += layer.outputChannels
            }
        }
        return output
    }
}
