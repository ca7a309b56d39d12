import Checkpoints
import Foundation
import Models

extension TrainableNetwork {
    /// Writes every parameter (running statistics included) to a safetensors weights file with
    /// `metadata`, atomically, under the framework's names: the file `ecg predict` loads.
    /// - Parameter dtype: `.f16` halves the file; check that predictions still agree before using it.
    /// - Throws: `CheckpointError.writeFailed` when the file cannot be written.
    public func saveWeights(to url: URL, metadata: WeightsMetadata, dtype: SafetensorsFile.FloatDType = .f32) throws {
        try SafetensorsFile.write(parameters.map { ($0.name, $0.value) }, metadata: metadata.dictionary, to: url, dtype: dtype)
    }
}
