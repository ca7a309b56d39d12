import Checkpoints
import Foundation
import Models

/// Whether a registry entry can be served, checked without building the network.
public enum ModelStatus: Sendable, Equatable, CustomStringConvertible {
    /// The weights file is there and describes this architecture.
    case ready(trained: Bool, provenance: String)
    /// There is no weights file yet.
    case notInstalled(reason: String)
    /// The weights file is there but unusable.
    case failed(reason: String)

    /// Reads just the header and metadata of `entry`'s weights file (a Keras or PyTorch file is
    /// converted first, once).
    public init(entry: ModelEntry, registry: ModelRegistry) {
        let url = registry.weightsURL(entry)
        guard FileManager.default.fileExists(atPath: url.path) else {
            self = .notInstalled(reason: String(describing: RegistryError.notInstalled(key: entry.key, path: url.path)))
            return
        }
        do {
            let metadata = try WeightsMetadata(file: SafetensorsFile(contentsOf: registry.loadableWeightsURL(entry)))
            guard metadata.architecture == entry.architecture else {
                self = .failed(reason: "\(url.path) holds a \(metadata.architecture.rawValue), not a \(entry.architecture.rawValue)")
                return
            }
            self = .ready(trained: metadata.trained, provenance: metadata.provenance)
        } catch {
            self = .failed(reason: String(describing: error))
        }
    }

    public var description: String {
        switch self {
        case let .ready(trained, _): trained ? "ready" : "not trained (random weights): train or import it first"
        case let .notInstalled(reason): reason
        case let .failed(reason): "failed to load: \(reason)"
        }
    }
}
