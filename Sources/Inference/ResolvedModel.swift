import Checkpoints
import Foundation
import ImageIO
import Models

/// A registry entry resolved against its weights file without building the network: whether it
/// can be served, what its weights say about themselves, and the input contract and classes its
/// classifier will use. Resolving reads the file's header (and converts a Keras or PyTorch file,
/// once), so callers that answer requests resolve at start and then only look up.
public struct ResolvedModel: Sendable {
    public let entry: ModelEntry
    public let status: ModelStatus
    /// The weights file's metadata; nil when the file is missing or unusable.
    public let metadata: WeightsMetadata?

    /// Reads `entry`'s weights metadata.
    public init(entry: ModelEntry, registry: ModelRegistry) {
        self.entry = entry
        // The weights file, and the backbone file it completes when it names one.
        for url in [registry.weightsURL(entry)] + (registry.backboneURL(entry).map { [$0] } ?? [])
        where !FileManager.default.fileExists(atPath: url.path) {
            (status, metadata) = (.notInstalled(reason: String(describing: RegistryError.notInstalled(key: entry.key, path: url.path))), nil)
            return
        }
        let url = registry.weightsURL(entry)
        do {
            let metadata = try WeightsMetadata(file: SafetensorsFile(contentsOf: registry.loadableWeightsURL(entry)))
            guard metadata.architecture == entry.architecture else {
                (status, self.metadata) = (.failed(reason: "\(url.path) holds a \(metadata.architecture.rawValue), not a \(entry.architecture.rawValue)"), nil)
                return
            }
            (status, self.metadata) = (.ready(trained: metadata.trained, provenance: metadata.provenance), metadata)
        } catch {
            (status, metadata) = (.failed(reason: String(describing: error)), nil)
        }
    }

    /// The class names, in output order: the entry's, else the weights', else the four ECG classes.
    public var classes: [String] { entry.classes ?? metadata?.classes ?? Architecture.ecgClasses }
    /// The input contract its classifier uses (``ModelEntry/inputSpec(metadata:)``: the entry's
    /// fields, else the weights', else the architecture's default).
    public var input: InputSpec { entry.inputSpec(metadata: metadata) }
}
