import Determinism
import Foundation
import GoldenSupport
import Models
import NN
import Tensors

/// A reference output written by `tools/reference/make_model_goldens.py`: the framework's own
/// parameter list and its outputs for weights and inputs that both sides compute from a formula,
/// so no weights need to be stored.
struct GoldenFile: Decodable {
    struct Input: Decodable { let batch: Int, height: Int, width: Int, channels: Int }

    let architecture: String
    let framework: String
    let generator: String
    let input: Input
    let parameters: [FormulaParameterSource.Spec]
    let parameter_count: Int
    let outputs: [String: [[Double]]]

    static func load(_ architecture: Architecture) throws -> GoldenFile {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(architecture.rawValue)", withExtension: "json") else {
            throw GoldenError.missing(architecture.rawValue)
        }
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }

    /// The framework's parameter names as ECGLens's layers name them.
    var layerParameterNames: [String] { parameters.map { FormulaParameterSource.layerName($0.name) } }

    /// The model input: `x[b,h,w,c] = sin(0.05h + 0.03w + 2c + b + 0.001hw)`, NHWC.
    func inputTensor() -> Tensor {
        FormulaParameterSource.input(batch: input.batch, height: input.height, width: input.width, channels: input.channels)
    }

    /// Parameters filled as the reference script filled them: `value[i] = offset + amplitude · u`
    /// over the framework layout, `u` uniform in [-1, 1) from one SplitMix64 step on `seed << 40 + i`.
    func parameterSource() throws -> ParameterSource {
        guard generator == "splitmix64" else { throw GoldenError.unknownGenerator(generator) }
        return FormulaParameterSource(Dictionary(uniqueKeysWithValues: zip(layerParameterNames, parameters)))
    }
}

enum GoldenError: Error, CustomStringConvertible {
    case missing(String)
    case unknownGenerator(String)

    var description: String {
        switch self {
        case let .missing(name): "no golden file Fixtures/\(name).json"
        case let .unknownGenerator(name): "the golden file's weights come from an unknown generator \(name)"
        }
    }
}
