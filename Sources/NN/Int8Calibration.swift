import Foundation
import Kernels
import Tensors

/// Which convolutions of a network run in int8 when it asks for int8: each layer's
/// signal-to-quantization-noise ratio, measured on calibration images (`Int8CalibrationOps`,
/// `ecg calibrate-int8`), against the lowest a layer may have.
///
/// int8 quantizes each weight column by its largest magnitude and each output pixel's patch by its
/// own, so there is no activation scale to calibrate; what differs between layers is how much
/// their weights lose (MobileNetV2's projection layers, with a few large weights per column, keep
/// 25-40 dB, its expansion layers 42-48 dB). Measuring that per layer and keeping the layers below
/// the bar in fp32 costs their share of the speed-up and keeps the answers.
public struct Int8Calibration: Sendable, Equatable {
    /// Per convolution, by its weight's parameter name: `10 · log10(Σ y² / Σ (y − ŷ)²)` in dB over
    /// the calibration images, `y` the layer's fp32 output and `ŷ` its int8 output from the same input.
    public var signalToNoise: [String: Double]
    /// The lowest ratio, in dB, at which a layer runs in int8.
    public var minimumSignalToNoise: Double

    /// The bar `ecg calibrate-int8` sets unless told otherwise: chosen on MobileNetV2's training
    /// images (docs/performance.md, "Past fp32").
    public static let defaultMinimumSignalToNoise = 40.0

    public init(signalToNoise: [String: Double] = [:], minimumSignalToNoise: Double = defaultMinimumSignalToNoise) {
        (self.signalToNoise, self.minimumSignalToNoise) = (signalToNoise, minimumSignalToNoise)
    }

    /// Whether the convolution whose weight is `name` runs in int8: measured, and at or above the
    /// bar. A layer the calibration did not see stays fp32.
    public func runsInt8(_ name: String) -> Bool { (signalToNoise[name] ?? -.infinity) >= minimumSignalToNoise }
}

/// Inference that also measures each named convolution's int8 error (`Int8Calibration`): every
/// convolution but the depthwise ones (which stay fp32) runs once more from the same input with
/// its weight packed for int8, on the int8 tiles this CPU has (`KernelSet.int8`, the portable
/// ones where it lacks VNNI: the same floats), and the squared outputs and differences are summed
/// per layer. Blocks that inference would fuse run as their separate layers. The answers are the
/// fp32 answers.
public final class Int8CalibrationOps: NetworkOps, @unchecked Sendable {
    /// One convolution's sums so far.
    public struct Layer: Sendable {
        public var name: String
        /// Σ y² and Σ (y − ŷ)².
        public var signal = 0.0, noise = 0.0
        /// Multiply-adds of the fp32 layer over the images seen: its share of the work.
        public var multiplyAdds = 0.0

        /// `10 · log10(signal / noise)`, infinite for a layer int8 does not change.
        public var signalToNoise: Double { noise > 0 ? 10 * log10(signal / noise) : .infinity }

        /// Whether int8 changes the layer at all: below 100 dB. Eight-bit operands cannot do better
        /// than about 60; what is left is float rounding, as for the thin layers (3-channel stems),
        /// which keep their fp32 tiles whatever the precision.
        public var int8Applies: Bool { signalToNoise < 100 }
    }

    private let inference = InferenceOps()
    private let int8Set = KernelSet.int8
    private let lock = NSLock()
    private var sums: [Layer] = []
    private var index: [String: Int] = [:]
    private var int8Weights: [String: ConvWeight] = [:]

    public init() {}

    /// The convolutions measured so far, in the order the network first ran them.
    public var layers: [Layer] { lock.withLock { sums } }

    /// The measurements as a calibration with bar `minimum` (dB).
    public func calibration(minimum: Double = Int8Calibration.defaultMinimumSignalToNoise) -> Int8Calibration {
        Int8Calibration(signalToNoise: Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0.signalToNoise) }),
                        minimumSignalToNoise: minimum)
    }

    /// Runs `layer` on `x` in int8 too and adds both outputs to its sums.
    private func measure(_ x: Tensor, _ layer: Conv2D, output y: Tensor) throws {
        guard let name = layer.name, !layer.convWeight.isDepthwise else { return }
        let weight = try lock.withLock {
            if let weight = int8Weights[name] { return weight }
            let weight = try KernelSet.with(int8Set) { try ConvWeight(hwio: layer.weight, groups: layer.groups, precision: .int8) }
            int8Weights[name] = weight
            return weight
        }
        let quantized = try KernelSet.with(int8Set) {
            try x.conv2d(weight: weight, bias: layer.bias, stride: layer.stride, padding: layer.padding, activation: layer.activation)
        }
        var signal = 0.0, noise = 0.0
        for (a, b) in zip(y.scalars, quantized.scalars) {
            signal += Double(a) * Double(a)
            noise += Double(a - b) * Double(a - b)
        }
        let shape = layer.weight.shape
        let multiplyAdds = Double(y.count) * Double(shape[0] * shape[1] * shape[2])
        lock.withLock {
            let i = index[name] ?? { sums.append(Layer(name: name)); index[name] = sums.count - 1; return sums.count - 1 }()
            sums[i].signal += signal
            sums[i].noise += noise
            sums[i].multiplyAdds += multiplyAdds
        }
    }

    public var isTraining: Bool { false }

    public func conv(_ x: Tensor, _ layer: Conv2D) throws -> Tensor {
        let y = try inference.conv(x, layer)
        try measure(x, layer, output: y)
        return y
    }

    public func concatChannels(_ branches: [ChannelBranch<Tensor, Conv2D>]) throws -> Tensor {
        try inference.concatChannels(branches.map { branch in
            switch branch {
            case .value: branch
            case let .conv(x, layer): .value(try conv(x, layer))
            }
        })
    }

    public func dense(_ x: Tensor, _ layer: Dense) throws -> Tensor { try inference.dense(x, layer) }
    public func maxPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Tensor {
        try inference.maxPool(x, kernel: kernel, stride: stride, padding: padding)
    }
    public func avgPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode) throws -> Tensor {
        try inference.avgPool(x, kernel: kernel, stride: stride, padding: padding)
    }
    public func adaptiveAvgPool(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        try inference.adaptiveAvgPool(x, height: height, width: width)
    }
    public func globalAvgPool(_ x: Tensor) throws -> Tensor { try inference.globalAvgPool(x) }
    public func flatten(_ x: Tensor, order: FlattenOrder) throws -> Tensor { try inference.flatten(x, order: order) }
    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try inference.add(a, b) }
    public func activation(_ x: Tensor, _ activation: Activation) -> Tensor { inference.activation(x, activation) }
    public func dropout(_ x: Tensor, rate: Float) -> Tensor { x }
    public func transformingInput(_ x: Tensor, _ transform: (Tensor) throws -> Tensor) throws -> Tensor { try transform(x) }
}
