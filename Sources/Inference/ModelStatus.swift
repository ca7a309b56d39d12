
/// Whether a registry entry can be served, checked without building the network.
public enum ModelStatus: Sendable, Equatable, CustomStringConvertible {
    /// The weights file is there and describes this architecture.
    case ready(trained: Bool, provenance: String)
    /// There is no weights file yet.
    case notInstalled(reason: String)
    /// The weights file is there but unusable.
    case failed(reason: String)

    /// Reads just the header and metadata of `entry`'s weights file (a Keras or PyTorch file is
    /// converted first, once); see `ResolvedModel`.
    public init(entry: ModelEntry, registry: ModelRegistry) {
        self = ResolvedModel(entry: entry, registry: registry).status
    }

    public var description: String {
        switch self {
        case let .ready(trained, _): trained ? "ready" : "not trained (random weights): train or import it first"
        case let .notInstalled(reason): reason
        case let .failed(reason): "failed to load: \(reason)"
        }
    }
}
