import Checkpoints
import Determinism

/// Ties a weights file that completes another file's backbone (`ModelEntry.backbone`) to the
/// backbone it was fitted on: the 64-bit FNV-1a of every tensor the backbone supplies, by name
/// and bits, stored in the head file's `backbone_check` metadata. A retrained or replaced backbone
/// no longer matches, and the head fitted on the old one's features is refused instead of
/// silently answering from features it never saw.
public enum BackboneCheck {
    /// The metadata key.
    public static let key = "backbone_check"

    /// The fingerprint of the tensors of `backbone` that `head` does not hold, in name order.
    /// - Throws: `CheckpointError` naming the file when a tensor cannot be read.
    public static func fingerprint(backbone: SafetensorsFile, head: SafetensorsFile) throws -> String {
        try fingerprint(backbone: backbone, excluding: Set(head.names))
    }

    /// The fingerprint of the tensors of `backbone` not named in `excluded`, in name order.
    public static func fingerprint(backbone: SafetensorsFile, excluding excluded: Set<String>) throws -> String {
        var bytes: [UInt8] = []
        for name in backbone.names.sorted() where !excluded.contains(name) {
            bytes += Array(name.utf8)
            try backbone.tensor(name).scalars.withUnsafeBytes { bytes += $0 }
        }
        return String(fnv1a64(bytes), radix: 16)
    }

    /// Checks that `head` was fitted on `backbone`.
    /// - Throws: `CheckpointError.mismatch` naming the head file when it records no check or another backbone.
    public static func verify(head: SafetensorsFile, backbone: SafetensorsFile) throws {
        guard let stored = head.metadata[key] else {
            throw CheckpointError.mismatch(path: head.path, reason: "does not record which backbone it completes (\(key))")
        }
        guard try fingerprint(backbone: backbone, head: head) == stored else {
            throw CheckpointError.mismatch(
                path: head.path, reason: "was fitted on another backbone than \(backbone.path); refit it (`ecg fit-fusion`)")
        }
    }
}
