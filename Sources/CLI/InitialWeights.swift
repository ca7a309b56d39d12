import Checkpoints
import Foundation
import Models
import NN
import WeightImport

/// Parameters read from `path` (an ECGLens .safetensors file, or a Keras or PyTorch file such as a
/// backbone alone), with random ones (seeded, the architecture's initialiser) for whatever the file
/// lacks: where `ecg train --init` starts and where `ecg features --init` reads its backbone.
///
/// - Returns: The source and the names of an imported file's missing parameters (none listed for
///   a .safetensors file).
/// - Throws: The importer's error naming the file when it cannot be read as `architecture`.
func initialParameters(_ path: String, architecture: Architecture, inputSize: Int, seed: UInt64) throws -> (source: ParameterSource, missing: [String]) {
    let random = RandomParameterSource(seed: seed, initialiser: architecture.weightInitialiser)
    let url = URL(fileURLWithPath: path)
    if url.pathExtension == "safetensors" {
        return (FallbackParameterSource(file: try SafetensorsFile(contentsOf: url), fallback: random), [])
    }
    let imported = try openWeights(url, architecture: architecture, inputSize: inputSize)
    return (FallbackParameterSource(imported: imported, fallback: random), try imported.missingNames(inputSize: inputSize))
}
