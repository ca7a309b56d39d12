import Determinism
import Tensors

/// What a parameter does, so that a source can initialise or check it sensibly.
public enum ParameterRole: Sendable, Equatable {
    /// A convolution or dense kernel: `fanIn` inputs feed each output, and each input feeds
    /// `fanOut` outputs (both counting the kernel window, as Keras and PyTorch count fans).
    case weight(fanIn: Int, fanOut: Int)
    /// A convolution or dense bias.
    case bias
    /// Batch normalisation's scale (Keras `gamma`, PyTorch `weight`).
    case normScale
    /// Batch normalisation's shift (Keras `beta`, PyTorch `bias`).
    case normShift
    /// Batch normalisation's running mean.
    case runningMean
    /// Batch normalisation's running variance.
    case runningVariance
}

/// Where a network's parameters come from: a checkpoint file, a random initialiser, a formula in
/// a test. Parameters are asked for by the reference framework's own name and in its own layout
/// (`features.0.weight` as `OC x C x KH x KW`; `Conv1/kernel` as `KH x KW x C x OC`).
public protocol ParameterSource {
    /// The parameter called `name`.
    /// - Parameters:
    ///   - shape: the shape the architecture expects, in the framework's layout.
    ///   - role: what the parameter does.
    /// - Throws: when it is missing or has another shape (the source's own error type).
    func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor
}

/// Takes each parameter from `primary` when `holds` says it has it, else from `fallback`: a
/// backbone-only file (an ImageNet MobileNetV2), or an ImageNet checkpoint whose 1000-class head
/// does not fit, completed with freshly initialised layers (`ecg train --init`).
///
/// `holds` decides what happens to a parameter the primary has in another shape: answer by name
/// only and the primary's shape error surfaces (an ECGLens weights file trained for other
/// classes is a mistake); answer by name and shape and it falls back (a foreign head replaced).
public final class FallbackParameterSource: ParameterSource {
    private let primary: ParameterSource
    private let holds: (_ name: String, _ shape: [Int]) throws -> Bool
    private let fallback: ParameterSource
    /// The names that came from `fallback`, in the order asked for.
    public private(set) var fallbackNames: [String] = []

    /// - Parameters:
    ///   - holds: whether to take the parameter of this name, wanted in this shape, from `primary`.
    public init(primary: ParameterSource, holds: @escaping (_ name: String, _ shape: [Int]) throws -> Bool,
                fallback: ParameterSource) {
        (self.primary, self.holds, self.fallback) = (primary, holds, fallback)
    }

    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        if try holds(name, shape) { return try primary.tensor(name, shape: shape, role: role) }
        fallbackNames.append(name)
        return try fallback.tensor(name, shape: shape, role: role)
    }
}

/// How `RandomParameterSource` draws kernels: each reference framework's default, because a
/// network trained from scratch learns (or not) depending on it.
public enum WeightInitialiser: String, Sendable {
    /// Uniform in ±sqrt(6 / fanIn): He et al.'s variance for ReLU networks, which torchvision's
    /// VGG and Inception inits approximate (kaiming-normal, truncated normal).
    case heUniform = "He-uniform"
    /// Uniform in ±sqrt(6 / (fanIn + fanOut)): Keras's default `glorot_uniform`. Its smaller
    /// first kernels kept the small CNN's dense ReLUs alive where He-uniform's killed them.
    case glorotUniform = "Glorot-uniform"

    /// The bound of the uniform distribution for a kernel with these fans.
    public func limit(fanIn: Int, fanOut: Int) -> Float {
        switch self {
        case .heUniform: Float((6.0 / Double(max(fanIn, 1))).squareRoot())
        case .glorotUniform: Float((6.0 / Double(max(fanIn + fanOut, 1))).squareRoot())
        }
    }
}

/// Fresh parameters as an untrained network starts: kernels drawn by `initialiser`, zero biases,
/// identity batch normalisation. Deterministic for a seed.
public struct RandomParameterSource: ParameterSource {
    private let seed: UInt64
    public let initialiser: WeightInitialiser

    public init(seed: UInt64 = 0, initialiser: WeightInitialiser = .heUniform) {
        (self.seed, self.initialiser) = (seed, initialiser)
    }

    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        switch role {
        case .bias, .normShift, .runningMean: return Tensor(shape: shape, repeating: 0)
        case .normScale, .runningVariance: return Tensor(shape: shape, repeating: 1)
        case let .weight(fanIn, fanOut):
            var generator = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: fnv1a64(name.utf8)))
            let limit = initialiser.limit(fanIn: fanIn, fanOut: fanOut)
            return Tensor(shape: shape) { values in
                for i in 0..<shape.reduce(1, *) { values[i] = Float.random(in: -limit...limit, using: &generator) }
            }
        }
    }
}
