/// A value rebuilt from a pickle by `RestrictedUnpickler`: plain data, and inert records of the
/// few torch objects it allows. Lists, dictionaries and objects are references, as in Python,
/// because a pickle fills them after storing them in its memo.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A tuple and its depth, computed once when it is built: tuples are values, so a pickle
    /// that duplicates one (`DUP TUPLE2`, forty times) makes a graph whose tree is exponential,
    /// and recomputing depths or descriptions by walking it would never finish.
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to an allowed class or function (`module.name`), never called.
    case global(module: String, name: String)
    /// An allowed class instantiated inertly (`torch.nn.modules.conv.Conv2d`): its `__dict__`
    /// state, set by BUILD, is kept as data.
    case object(PickleObject)
    /// A torch storage named by a persistent id: data in the archive's `data/KEY` member.
    case storage(TorchStorage)
    /// A tensor view of a storage, from `_rebuild_tensor_v2` (or `_rebuild_parameter`).
    case tensor(TorchTensorReference)

    var string: String? { if case let .string(s) = self { s } else { nil } }
    var int: Int? { if case let .int(i) = self { i } else { nil } }

    /// How many containers deep the value is (0 for a scalar).
    var depth: Int {
        switch self {
        case let .list(list): list.depth
        case let .dict(dict): dict.depth
        case let .object(object): object.depth
        case let .tuple(_, depth): depth
        default: 0
        }
    }

    /// A bounded description for error messages: the kind of value and, for scalars, the value
    /// (never a walk of nested containers, which may share children exponentially often).
    var summary: String {
        switch self {
        case .none: "None"
        case let .bool(value): String(value)
        case let .int(value): String(value)
        case let .float(value): String(value)
        case let .string(value): value.count <= 64 ? "\"\(value)\"" : "a string of \(value.utf8.count) bytes"
        case let .bytes(value): "\(value.count) bytes"
        case let .tuple(items, _): "a tuple of \(items.count) items"
        case let .list(list): "a list of \(list.items.count) items"
        case let .dict(dict): "a dictionary of \(dict.entries.count) items"
        case let .global(module, name): "\(module).\(name)"
        case let .object(object): "a \(object.module).\(object.name) object"
        case let .storage(storage): "storage \(storage.key)"
        case .tensor: "a tensor"
        }
    }

    /// Marks a container as placed inside another, after which it may not change.
    func markNested() {
        switch self {
        case let .list(list): list.nested = true
        case let .dict(dict): dict.nested = true
        case let .object(object): object.nested = true
        default: break
        }
    }
}

/// What lists, dictionaries and objects share: their depth, final once they are nested in
/// another container, so that the unpickler can cap the depth of what it builds (a deep chain
/// would take deep recursion to walk and to release).
class PickleContainer {
    var depth = 1
    var nested = false
}

final class PickleList: PickleContainer { var items: [PickleValue] = [] }

/// A dictionary in insertion order (keys compared as strings or integers).
final class PickleDict: PickleContainer {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let index = entries.firstIndex(where: { Self.same($0.key, key) }) {
            entries[index].value = value
        } else {
            entries.append((key, value))
        }
    }

    subscript(key: String) -> PickleValue? { entries.first { $0.key.string == key }?.value }

    private static func same(_ a: PickleValue, _ b: PickleValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.int(x), .int(y)): x == y
        default: false
        }
    }
}

final class PickleObject: PickleContainer {
    let module: String, name: String
    var state: PickleValue = .none
    init(module: String, name: String) {
        self.module = module
        self.name = name
    }
}

/// A storage as its persistent id describes it: `('storage', torch.FloatStorage, '0', 'cpu', 9)`.
struct TorchStorage {
    let key: String
    /// The element type, from the storage class name (`FloatStorage` → `Float`).
    let type: String
    let count: Int
}

/// `_rebuild_tensor_v2(storage, offset, size, stride, …)`: a strided view of a storage.
struct TorchTensorReference {
    let storage: TorchStorage
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
