import Foundation
import NN
import Tensors

/// Weights and inputs that the reference scripts (`tools/reference/make_model_goldens.py`,
/// `make_training_goldens.py`) and the Swift tests both compute from a formula, so golden files
/// record the formula's parameters instead of the weights.
public struct FormulaParameterSource: ParameterSource {
    /// One tensor's formula: `value[i] = Float(offset + amplitude · u(seed, i))`, `i` the flat
    /// row-major index in the framework's own layout (which is ECGLens's).
    public struct Spec: Decodable, Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Double
        public let amplitude: Double
        public let seed: UInt64
    }

    public enum FormulaError: Error, CustomStringConvertible {
        case unknownParameter(String)
        case shape(String, expected: [Int], golden: [Int])

        public var description: String {
            switch self {
            case let .unknownParameter(name): "the framework has no parameter \(name)"
            case let .shape(name, expected, golden): "\(name): ECGLens expects \(expected), the framework has \(golden)"
            }
        }
    }

    private let specs: [String: Spec]

    /// - Parameter specs: the formulas by ECGLens parameter name.
    public init(_ specs: [String: Spec]) { self.specs = specs }

    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        guard let p = specs[name] else { throw FormulaError.unknownParameter(name) }
        guard p.shape == shape else { throw FormulaError.shape(name, expected: shape, golden: p.shape) }
        return Tensor(shape: shape) { values in
            for i in 0..<shape.reduce(1, *) {
                values[i] = Float(p.offset + p.amplitude * Self.uniform(seed: p.seed, index: UInt64(i)))
            }
        }
    }

    /// One SplitMix64 step on `seed << 40 + index`, mapped to [-1, 1) with 24 bits.
    public static func uniform(seed: UInt64, index: UInt64) -> Double {
        var z = (seed << 40) &+ index &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 40) * (2.0 / Double(1 << 24)) - 1
    }

    /// The formula input, NHWC: `x[b,h,w,c] = sin(0.05h + 0.03w + 2c + b + 0.001hw)`.
    public static func input(batch: Int, height: Int, width: Int, channels: Int) -> Tensor {
        Tensor(shape: [batch, height, width, channels]) { x in
            var i = 0
            for b in 0..<batch {
                for h in 0..<height {
                    for w in 0..<width {
                        for c in 0..<channels {
                            let (hd, wd) = (Double(h), Double(w))
                            x[i] = Float(sin(0.05 * hd + 0.03 * wd + 2.0 * Double(c) + Double(b) + 0.001 * hd * wd))
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// A framework's parameter name without the model-name prefix Keras puts on the variables
    /// of a `Sequential` (`sequential/conv2d/kernel` is layer `conv2d`'s `kernel`).
    public static func layerName(_ frameworkName: String) -> String {
        frameworkName.hasPrefix("sequential/") ? String(frameworkName.dropFirst("sequential/".count)) : frameworkName
    }
}
