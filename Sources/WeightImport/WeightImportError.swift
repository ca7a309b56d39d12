/// Why a Keras or PyTorch weights file could not be read or matched to an architecture.
///
/// Every case names the file, so that `description` is a complete one-line message:
/// `model.pth: refused: the pickle calls os.system, which is not on the allow-list`.
public enum WeightImportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file ends before a structure it describes.
    case truncated(path: String, what: String)
    /// A structure is malformed: a bad signature, an impossible offset or count.
    case malformed(path: String, reason: String)
    /// The file is valid but uses a feature this reader does not support.
    case unsupported(path: String, feature: String)
    /// The file asks for something unsafe (a pickle global outside the allow-list) and is refused.
    case refused(path: String, reason: String)
    /// A declared size or count is beyond the reader's limits (an oversized header, a zip bomb,
    /// nesting too deep to walk).
    case tooLarge(path: String, what: String, limit: Int)
    /// The file holds no parameter called `name`.
    case missingTensor(path: String, name: String)
    /// The parameter `name` has shape `got` where the architecture needs `expected`.
    case shapeMismatch(path: String, name: String, expected: [Int], got: [Int])
    /// The file is for another model than the architecture asked for.
    case architectureMismatch(path: String, reason: String)

    /// The path of the file the error concerns.
    public var path: String {
        switch self {
        case let .truncated(path, _), let .malformed(path, _), let .unsupported(path, _), let .refused(path, _),
             let .tooLarge(path, _, _), let .missingTensor(path, _), let .shapeMismatch(path, _, _, _),
             let .architectureMismatch(path, _):
            path
        }
    }

    public var description: String {
        switch self {
        case let .truncated(path, what): "\(path): file is truncated: \(what)"
        case let .malformed(path, reason): "\(path): malformed file: \(reason)"
        case let .unsupported(path, feature): "\(path): unsupported: \(feature)"
        case let .refused(path, reason): "\(path): refused: \(reason)"
        case let .tooLarge(path, what, limit): "\(path): \(what) exceeds the limit of \(limit)"
        case let .missingTensor(path, name): "\(path): no parameter named \"\(name)\""
        case let .shapeMismatch(path, name, expected, got):
            "\(path): parameter \"\(name)\" has shape \(got) but the architecture needs \(expected)"
        case let .architectureMismatch(path, reason): "\(path): does not fit the architecture: \(reason)"
        }
    }
}
