import Determinism
import Foundation
import Models
import NN
import Tensors

/// A reference output written by `tools/reference/make_model_goldens.py`: the framework's own
/// parameter list and its outputs for weights and inputs that both sides compute from a formula,
/// so no weights need to be stored.
struct GoldenFile: Decodable {
    struct Parameter: Decodable {
        let name: String
        let shape: [Int]
        let offset: Double
        let amplitude: Double
        let seed: UInt64
    }
    struct Input: Decodable { let batch: Int, height: Int, width: Int, channels: Int }

    let architecture: String
    let framework: String
    let generator: String
    let input: Input
    let parameters: [Parameter]
    let parameter_count: Int
    let outputs: [String: [[Double]]]

    static func load(_ architecture: Architecture) throws -> GoldenFile {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(architecture.rawValue)", withExtension: "json") else {
            throw GoldenError.missing(architecture.rawValue)
        }
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }

    /// The framework's parameter names without the model-name prefix Keras puts on the variables
    /// of a `Sequential` (`sequential/conv2d/kernel` is layer `conv2d`'s `kernel`).
    var layerParameterNames: [String] {
        parameters.map { $0.name.hasPrefix("sequential/") ? String($0.name.dropFirst("sequential/".count)) : $0.name }
    }

    /// The model input: `x[b,h,w,c] = sin(0.05h + 0.03w + 2c + b + 0.001hw)`, NHWC.
    func inputTensor() -> Tensor {
        let shape = [input.batch, input.height, input.width, input.channels]
        return Tensor(shape: shape) { x in
            var i = 0
            for b in 0..<input.batch {
                for h in 0..<input.height {
                    for w in 0..<input.width {
                        for c in 0..<input.channels {
                            let (hd, wd) = (Double(h), Double(w))
                            x[i] = Float(sin(0.05 * hd + 0.03 * wd + 2.0 * Double(c) + Double(b) + 0.001 * hd * wd))
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// Parameters filled as the reference script filled them: `value[i] = offset + amplitude · u`
    /// over the framework layout, `u` uniform in [-1, 1) from one SplitMix64 step on `seed << 40 + i`.
    func parameterSource() throws -> ParameterSource {
        guard generator == "splitmix64" else { throw GoldenError.unknownGenerator(generator) }
        return FormulaParameterSource(parameters: Dictionary(
            uniqueKeysWithValues: zip(layerParameterNames, parameters)))
    }
}

enum GoldenError: Error, CustomStringConvertible {
    case missing(String)
    case unknownGenerator(String)
    case unknownParameter(String)
    case shape(String, expected: [Int], golden: [Int])

    var description: String {
        switch self {
        case let .missing(name): "no golden file Fixtures/\(name).json"
        case let .unknownGenerator(name): "the golden file's weights come from an unknown generator \(name)"
        case let .unknownParameter(name): "the framework has no parameter \(name)"
        case let .shape(name, expected, golden): "\(name): ECGLens expects \(expected), the framework has \(golden)"
        }
    }
}

private struct FormulaParameterSource: ParameterSource {
    let parameters: [String: GoldenFile.Parameter]

    func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        guard let p = parameters[name] else { throw GoldenError.unknownParameter(name) }
        guard p.shape == shape else { throw GoldenError.shape(name, expected: shape, golden: p.shape) }
        return Tensor(shape: shape) { values in
            for i in 0..<shape.reduce(1, *) {
                values[i] = Float(p.offset + p.amplitude * Self.uniform(seed: p.seed, index: UInt64(i)))
            }
        }
    }

    /// One SplitMix64 step on `seed << 40 + index`, mapped to [-1, 1) with 24 bits.
    static func uniform(seed: UInt64, index: UInt64) -> Double {
        var z = (seed << 40) &+ index &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 40) * (2.0 / Double(1 << 24)) - 1
    }
}
