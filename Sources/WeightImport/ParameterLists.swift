import Foundation
import Models

/// `Architecture.parameterList`, computed once per architecture, class count and input size:
/// listing builds the whole network (VGG16's 138 million zeros), too slow to repeat per file.
enum ParameterLists {
    private struct Key: Hashable {
        let architecture: Architecture, classes: Int, inputSize: Int
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var lists: [Key: [(name: String, shape: [Int])]] = [:]
    }

    private static let cache = Cache()

    static func of(_ architecture: Architecture, classes: Int, inputSize: Int?) throws -> [(name: String, shape: [Int])] {
        let key = Key(architecture: architecture, classes: classes, inputSize: inputSize ?? architecture.defaultInputSize)
        cache.lock.lock()
        let cached = cache.lists[key]
        cache.lock.unlock()
        if let cached { return cached }
        let list = try architecture.parameterList(classes: classes, inputSize: key.inputSize)
        cache.lock.lock()
        cache.lists[key] = list
        cache.lock.unlock()
        return list
    }
}
