/// Why a checkpoint could not be read, written or matched to a model.
///
/// Every case carries the path of the file concerned, so that `description` names it:
/// `models/x.safetensors: header is not valid JSON`.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be opened or read (permissions, a directory, an I/O error).
    case unreadable(path: String, reason: String)
    /// The file ends before the data its header describes (typically an interrupted download).
    case truncated(path: String, reason: String)
    /// The header is malformed: a bad length, not JSON, or an entry that breaks the format's rules.
    case invalidHeader(path: String, reason: String)
    /// The tensor `name` is stored as `dtype`, which cannot be converted to `Float`.
    case unsupportedDType(path: String, name: String, dtype: String)
    /// The file holds no tensor called `name`.
    case missingTensor(path: String, name: String)
    /// The tensor `name` has shape `got` where `expected` was required.
    case shapeMismatch(path: String, name: String, expected: [Int], got: [Int])
    /// The checkpoint is valid but does not fit what the caller needs (for a model loader's own checks).
    case mismatch(path: String, reason: String)
    /// The file could not be written; the destination, if it existed, is unchanged.
    case writeFailed(path: String, reason: String)

    /// The path of the file the error concerns.
    public var path: String {
        switch self {
        case let .fileNotFound(path), let .unreadable(path, _), let .truncated(path, _),
             let .invalidHeader(path, _), let .unsupportedDType(path, _, _), let .missingTensor(path, _),
             let .shapeMismatch(path, _, _, _), let .mismatch(path, _), let .writeFailed(path, _):
            path
        }
    }

    /// One line that starts with the file's path and says what is wrong.
    public var description: String {
        switch self {
        case let .fileNotFound(path):
            "\(path): no such file"
        case let .unreadable(path, reason):
            "\(path): cannot read the file: \(reason)"
        case let .truncated(path, reason):
            "\(path): file is truncated: \(reason)"
        case let .invalidHeader(path, reason):
            "\(path): \(reason)"
        case let .unsupportedDType(path, name, dtype):
            "\(path): tensor \"\(name)\" is stored as \(dtype), which cannot be converted to Float32"
        case let .missingTensor(path, name):
            "\(path): no tensor named \"\(name)\""
        case let .shapeMismatch(path, name, expected, got):
            "\(path): tensor \"\(name)\" has shape \(got) but \(expected) was expected"
        case let .mismatch(path, reason):
            "\(path): \(reason)"
        case let .writeFailed(path, reason):
            "\(path): cannot write: \(reason)"
        }
    }
}
