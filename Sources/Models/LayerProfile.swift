import Kernels
import NN
import Tensors

/// The time of one step of a forward pass, as `ecg bench --layers` reports it.
public struct LayerTime: Sendable {
    /// What ran: `conv 3x3/1`, `block 1x1+dw 3x3/2+1x1`, `concat (4 conv)`, `dense`, `maxpool 2x2/2`...
    public var step: String
    /// The step's output shape, `N x H x W x C` or `N x F`.
    public var outputShape: [Int]
    /// Floating-point operations of its products (2 per multiply-add); 0 for pooling and copies.
    public var flops: Double
    public var seconds: Double
}

/// Runs `InferenceOps` and times each step it takes, in the order the architecture takes them.
///
/// Each step is timed from its call to its return, so a step that runs on several threads counts
/// its wall time. A concatenation counts the convolutions that write into it (InceptionV3's
/// branches end in them), so its GFLOP/s is theirs; the convolutions before them in each branch
/// are steps of their own.
final class LayerProfiler: NetworkOps {
    private let ops = InferenceOps()
    private(set) var times: [LayerTime] = []

    var isTraining: Bool { false }

    /// Runs `body`, records its time under `step` with `flops(output shape)`, and returns its output.
    private func timed(_ step: String, flops: ([Int]) -> Double = { _ in 0 }, _ body: () throws -> Tensor) rethrows -> Tensor {
        let clock = ContinuousClock()
        let start = clock.now
        let output = try body()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        times.append(LayerTime(step: step, outputShape: output.shape, flops: flops(output.shape), seconds: seconds))
        return output
    }

    /// `2 · N·OH·OW·OC · KH·KW·C/groups`, from the layer's HWIO weight and its output.
    private static func flops(_ layer: Conv2D, output: [Int]) -> Double {
        let w = layer.weight.shape
        return 2 * Double(output.dropLast().reduce(1, *)) * Double(w[0] * w[1] * w[2] * w[3])
    }

    /// The layer's kernel and stride (`dw` for a depthwise one), and `winograd F(m, r)` where it runs so at geometry `g`.
    private static func name(_ layer: Conv2D, geometry g: ConvGeometry? = nil) -> String {
        let w = layer.weight.shape
        let winograd = g.flatMap { layer.convWeight.winogradAlgorithm($0) }.map { " winograd \($0.name)" } ?? ""
        return "\(layer.convWeight.isDepthwise ? "dw " : "")\(w[0])x\(w[1])/\(layer.stride.0)\(winograd)"
    }

    func conv(_ x: Tensor, _ layer: Conv2D) throws -> Tensor {
        let g = try x.convGeometry(weight: layer.convWeight, stride: layer.stride, padding: layer.padding)
        return try timed("conv \(Self.name(layer, geometry: g))", flops: { Self.flops(layer, output: $0) }) { try ops.conv(x, layer) }
    }

    /// Counts the depthwise layer at the block's output pixels and the expansion at its input's
    /// (the stride squared more).
    func depthwisePointwise(_ x: Tensor, expand: Conv2D?, depthwise: Conv2D, pointwise: Conv2D, residual: Tensor?) throws -> Tensor {
        let flops = { (output: [Int]) -> Double in
            let pixels = Double(output.dropLast().reduce(1, *))
            let expansion = expand.map { 2 * pixels * Double(depthwise.stride.0 * depthwise.stride.1 * $0.weight.shape.reduce(1, *)) }
            return Self.flops(pointwise, output: output) + 2 * pixels * Double(depthwise.weight.shape.reduce(1, *)) + (expansion ?? 0)
        }
        return try timed("block \(expand == nil ? "" : "1x1+")\(Self.name(depthwise))+1x1", flops: flops) {
            try ops.depthwisePointwise(x, expand: expand, depthwise: depthwise, pointwise: pointwise, residual: residual)
        }
    }

    /// Counts the convolution at its own output's pixels (the pooling adds no products).
    func convMaxPool(_ x: Tensor, _ layer: Conv2D, kernel: (Int, Int), stride: (Int, Int)) throws -> Tensor {
        let g = try x.convGeometry(weight: layer.convWeight, stride: layer.stride, padding: layer.padding)
        let flops = Self.flops(layer, output: [g.batch, g.outputHeight, g.outputWidth, g.outputChannels])
        return try timed("conv \(Self.name(layer, geometry: g))+maxpool \(kernel.0)x\(kernel.1)/\(stride.0)", flops: { _ in flops }) {
            try ops.convMaxPool(x, layer, kernel: kernel, stride: stride)
        }
    }

    func dense(_ x: Tensor, _ layer: Dense) throws -> Tensor {
        try timed("dense", flops: { 2 * Double($0[0]) * Double(layer.weight.shape.reduce(1, *)) }) { try ops.dense(x, layer) }
    }

    func maxPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Tensor {
        try timed("maxpool \(kernel.0)x\(kernel.1)/\(stride.0)") {
            try ops.maxPool(x, kernel: kernel, stride: stride, padding: padding)
        }
    }

    func avgPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Tensor {
        try timed("avgpool \(kernel.0)x\(kernel.1)/\(stride.0)") {
            try ops.avgPool(x, kernel: kernel, stride: stride, padding: padding)
        }
    }

    func adaptiveAvgPool(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        try timed("adaptive avgpool") { try ops.adaptiveAvgPool(x, height: height, width: width) }
    }

    func globalAvgPool(_ x: Tensor) throws -> Tensor { try timed("global avgpool") { try ops.globalAvgPool(x) } }
    func flatten(_ x: Tensor, order: FlattenOrder) throws -> Tensor { try timed("flatten") { try ops.flatten(x, order: order) } }
    func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try timed("add") { try ops.add(a, b) } }

    func activation(_ x: Tensor, _ activation: Activation) -> Tensor {
        timed("\(activation.rawValue)") { ops.activation(x, activation) }
    }

    func concatChannels(_ branches: [ChannelBranch<Tensor, Conv2D>]) throws -> Tensor {
        let convs = branches.compactMap { branch -> Conv2D? in
            if case let .conv(_, layer) = branch { return layer }
            return nil
        }
        // Each branch convolution's output has the concatenation's pixels and its own channels.
        let flops = { (output: [Int]) -> Double in
            convs.reduce(0) { $0 + Self.flops($1, output: output.dropLast() + [$1.outputChannels]) }
        }
        return try timed("concat (\(convs.count) conv)", flops: flops) { try ops.concatChannels(branches) }
    }

    func dropout(_ x: Tensor, rate: Float) -> Tensor { ops.dropout(x, rate: rate) }

    func transformingInput(_ x: Tensor, _ transform: (Tensor) throws -> Tensor) throws -> Tensor {
        try timed("input transform") { try ops.transformingInput(x, transform) }
    }
}

extension InferenceNetwork: LayerProfiling {
    public func layerTimes(_ input: Tensor) throws -> [LayerTime] {
        let profiler = LayerProfiler()
        _ = try layers.forward(input, profiler)
        return profiler.times
    }
}

/// A network whose forward pass can be timed step by step (`ecg bench --layers`).
public protocol LayerProfiling {
    /// One forward pass of `input`, each of the architecture's steps timed, in order (a Keras
    /// model's closing softmax is not one of them).
    func layerTimes(_ input: Tensor) throws -> [LayerTime]
}
