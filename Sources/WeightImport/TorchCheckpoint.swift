import Checkpoints
import Models
import NN
import Tensors

/// A PyTorch `torch.save` file holding a `state_dict`, a checkpoint dictionary with one
/// (`{"state_dict": …}`), or a whole pickled `nn.Module`, offered under its `state_dict` keys
/// (`features.0.weight`, `Mixed_5b.branch1x1.bn.running_var`). Both formats are read: the zip
/// archive of PyTorch 1.6 and later (`NAME/data.pkl` plus `NAME/data/KEY` storages), and the
/// legacy stream (magic number, protocol and system pickles, the data pickle, the storage keys,
/// then each storage's size and bytes) in which torchvision's ImageNet checkpoints are saved.
///
/// The pickle is read by `RestrictedUnpickler`: nothing in the file is executed.
public final class TorchCheckpoint: ImportedWeights {
    public let path: String
    public let architecture: Architecture
    public let names: [String]
    /// The file's tensor names that `architecture` does not use (`num_batches_tracked` aside).
    public let unusedNames: [String]
    /// Boolean attributes of a whole pickled model's top module (`transform_input`, `aux_logits`).
    public let moduleFlags: [String: Bool]

    private let tensors: [String: TorchTensorReference]
    /// A storage's bytes, by key.
    private let storage: (String) throws -> LoadedBytes

    /// Opens a `.pth`/`.pt` file for `architecture`.
    /// - Throws: `WeightImportError` when the file is unreadable, malformed, hostile or holds none
    ///   of the architecture's parameters.
    public convenience init(contentsOf path: String, architecture: Architecture, classes: Int = Architecture.ecgClasses.count) throws {
        let bytes = try LoadedBytes(contentsOf: path)
        if ZipArchive.isZip(bytes.bytes) {
            try self.init(ZipArchive(bytes), architecture: architecture, classes: classes)
        } else {
            try self.init(legacy: bytes, architecture: architecture, classes: classes)
        }
    }

    /// A zip-format checkpoint.
    convenience init(_ archive: ZipArchive, architecture: Architecture, classes: Int) throws {
        guard let pickle = archive.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw WeightImportError.unsupported(path: archive.path, feature: "a zip archive without data.pkl is not a torch.save file")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.entry(prefix + "byteorder") {
            let text = String(decoding: try archive.contents(order).bytes, as: UTF8.self)
            guard text == "little" else { throw WeightImportError.unsupported(path: archive.path, feature: "\(text)-endian tensors") }
        }
        let value = try RestrictedUnpickler.load(try archive.contents(pickle).bytes, path: archive.path).value
        try self.init(path: archive.path, value: value, architecture: architecture, classes: classes) { key in
            guard let member = archive.entry("\(prefix)data/\(key)") else {
                throw WeightImportError.truncated(path: archive.path, what: "storage \(key) is missing")
            }
            return try archive.contents(member)
        }
    }

    /// The legacy format's first pickle: the magic number 0x1950a86a20f9469cfc6c as a LONG1.
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    /// A legacy-format checkpoint.
    convenience init(legacy bytes: LoadedBytes, architecture: Architecture, classes: Int) throws {
        let path = bytes.path
        guard bytes.bytes.starts(with: Self.legacyMagic) else {
            throw WeightImportError.unsupported(path: path, feature: "not a Keras (.keras, .h5) or PyTorch (.pth) weights file")
        }
        let version = try RestrictedUnpickler.load(bytes.bytes, path: path, at: Self.legacyMagic.count)
        guard version.value.int == 1001 else { throw WeightImportError.unsupported(path: path, feature: "torch.save protocol \(version.value.summary)") }
        let system = try RestrictedUnpickler.load(bytes.bytes, path: path, at: version.end)
        if case let .dict(info) = system.value, case .bool(false)? = info["little_endian"] {
            throw WeightImportError.unsupported(path: path, feature: "big-endian tensors")
        }
        let data = try RestrictedUnpickler.load(bytes.bytes, path: path, at: system.end)
        let keys = try RestrictedUnpickler.load(bytes.bytes, path: path, at: data.end)
        guard case let .list(keyList) = keys.value else { throw WeightImportError.malformed(path: path, reason: "no storage key list") }
        var r = bytes.reader(at: keys.end)
        var ranges: [String: Range<Int>] = [:]
        for item in keyList.items {
            guard let key = item.string, let described = data.storages[key] else {
                throw WeightImportError.malformed(path: path, reason: "storage key \(item.summary) is not used by the data")
            }
            let count = try r.offset(8, "storage \(key)'s size")
            guard count == described.count else {
                throw WeightImportError.malformed(path: path, reason: "storage \(key) holds \(count) elements, not \(described.count)")
            }
            let length = count.multipliedReportingOverflow(by: TorchTensorReference.elementSizes[described.type] ?? 1)
            guard !length.overflow else { throw WeightImportError.malformed(path: path, reason: "storage \(key) is too large") }
            let start = r.position
            try r.skip(length.partialValue, "storage \(key)")
            ranges[key] = start..<r.position
        }
        try self.init(path: path, value: data.value, architecture: architecture, classes: classes) { key in
            guard let range = ranges[key] else { throw WeightImportError.truncated(path: path, what: "storage \(key) is missing") }
            return LoadedBytes(slice: range, of: bytes, path: path)
        }
    }

    private init(
        path: String, value: PickleValue, architecture: Architecture, classes: Int, storage: @escaping (String) throws -> LoadedBytes
    ) throws {
        self.path = path
        self.architecture = architecture
        self.storage = storage
        var tensors: [String: TorchTensorReference] = [:]
        var flags: [String: Bool] = [:]
        var budget = Self.walkBudget
        try Self.collect(Self.unwrap(value), prefix: "", depth: 0, into: &tensors, flags: &flags, budget: &budget, path: path)
        if !tensors.isEmpty, tensors.keys.allSatisfy({ $0.hasPrefix("module.") }) {
            tensors = Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst(7)), $0.value) })
        }
        self.tensors = tensors
        moduleFlags = flags
        guard architecture.framework == .torchvision else {
            throw WeightImportError.architectureMismatch(
                path: path, reason: "a PyTorch file cannot hold \(architecture.rawValue), a Keras architecture")
        }
        let wanted = try architecture.parameterList(classes: classes, inputSize: nil).map(\.name)
        names = wanted.filter { tensors[$0] != nil }
        let wantedSet = Set(wanted)
        unusedNames = tensors.keys.filter { !wantedSet.contains($0) && !$0.hasSuffix("num_batches_tracked") }.sorted()
        guard !names.isEmpty else {
            throw WeightImportError.architectureMismatch(path: path, reason: "holds none of \(architecture.rawValue)'s parameters")
        }
    }

    /// The model or state dict inside a checkpoint dictionary such as `{"state_dict": …, "epoch": 3}`.
    private static func unwrap(_ value: PickleValue) -> PickleValue {
        if case let .dict(dict) = value {
            for key in ["state_dict", "model_state_dict", "model"] {
                if let inner = dict[key] { return inner }
            }
        }
        return value
    }

    /// The most modules and tensor entries one walk visits. A whole pickled InceptionV3 takes
    /// about 1,000; a pickle whose modules share children (each level naming one child twice)
    /// unfolds into 2^depth visits, which this bound stops after a fraction of a second.
    static let walkBudget = 100_000

    /// Walks a state dict, or a module's `_parameters`, `_buffers` and `_modules`.
    /// - Parameter budget: Visits left; each module and each dictionary entry costs one.
    /// - Throws: `.tooLarge` when the walk runs out of budget.
    private static func collect(
        _ value: PickleValue, prefix: String, depth: Int, into tensors: inout [String: TorchTensorReference],
        flags: inout [String: Bool], budget: inout Int, path: String
    ) throws {
        guard depth < 64 else { throw WeightImportError.malformed(path: path, reason: "modules nest too deeply") }
        budget -= 1
        guard budget >= 0 else { throw WeightImportError.tooLarge(path: path, what: "module tree walk (shared sub-modules?)", limit: walkBudget) }
        switch value {
        case let .dict(dict):
            budget -= dict.entries.count
            guard budget >= 0 else { throw WeightImportError.tooLarge(path: path, what: "module tree walk", limit: walkBudget) }
            for (key, item) in dict.entries {
                if let name = key.string, case let .tensor(tensor) = item { tensors[prefix + name] = tensor }
            }
        case let .object(object):
            guard case let .dict(state) = object.state else { return }
            var skipped = Set<String>()
            if case let .list(set)? = state["_non_persistent_buffers_set"] { skipped = Set(set.items.compactMap(\.string)) }
            for group in ["_parameters", "_buffers"] {
                guard case let .dict(members)? = state[group] else { continue }
                budget -= members.entries.count
                guard budget >= 0 else { throw WeightImportError.tooLarge(path: path, what: "module tree walk", limit: walkBudget) }
                for (key, item) in members.entries {
                    if let name = key.string, !skipped.contains(name), case let .tensor(tensor) = item { tensors[prefix + name] = tensor }
                }
            }
            if case let .dict(modules)? = state["_modules"] {
                for (key, item) in modules.entries {
                    guard let name = key.string else { continue }
                    try collect(
                        item, prefix: "\(prefix)\(name).", depth: depth + 1, into: &tensors, flags: &flags, budget: &budget, path: path)
                }
            }
            if depth == 0 {
                for (key, item) in state.entries { if let name = key.string, case let .bool(flag) = item { flags[name] = flag } }
            }
        case .none: break
        default:
            if depth == 0 { throw WeightImportError.unsupported(path: path, feature: "the pickle holds neither a state_dict nor a module") }
        }
    }

    /// Whether the file holds a tensor called `name` (any tensor, used by the architecture or not).
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The shape of the file's tensor `name`, if any.
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    /// The parameter `name`, which must have `shape`, as a contiguous `Float` tensor.
    /// - Throws: `WeightImportError.missingTensor`, `.shapeMismatch`, or a storage error.
    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        guard let reference = tensors[name] else { throw WeightImportError.missingTensor(path: path, name: name) }
        guard reference.shape == shape else {
            throw WeightImportError.shapeMismatch(path: path, name: name, expected: shape, got: reference.shape)
        }
        let bytes = try storage(reference.storage.key)
        return try reference.materialize(from: bytes.bytes, name: name, path: path)
    }
}

extension TorchTensorReference {
    /// Bytes per element of each storage type.
    static let elementSizes = ["f32": 4, "f16": 2, "bf16": 2, "f64": 8, "i64": 8, "i32": 4, "i16": 2, "i8": 1, "u8": 1, "bool": 1]

    /// The view's elements, in row-major order, converted to `Float`.
    /// - Throws: `.malformed` when the view reaches outside its storage, `.unsupported` for integer storages.
    func materialize(from bytes: UnsafeRawBufferPointer, name: String, path: String) throws(WeightImportError) -> Tensor {
        let size = Self.elementSizes[storage.type] ?? 1
        guard storage.count <= bytes.count / size else {
            throw .truncated(path: path, what: "storage \(storage.key) holds fewer than its \(storage.count) elements")
        }
        var last = offset, count = 1, bad = offset < 0
        for (dim, stride) in zip(shape, strides) {
            bad = bad || dim < 0 || stride < 0
            let (c, o1) = count.multipliedReportingOverflow(by: max(dim, 0))
            let (reach, o2) = max(dim - 1, 0).multipliedReportingOverflow(by: stride)
            let (sum, o3) = last.addingReportingOverflow(reach)
            bad = bad || o1 || o2 || o3
            count = c
            last = sum
        }
        guard !bad, count == 0 || last < storage.count else {
            throw .malformed(path: path, reason: "tensor \(name) reaches outside its storage")
        }
        let load: (Int) -> Float
        switch storage.type {
        case "f32": load = { Float(bitPattern: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        case "f16": load = { HalfConversion.float(fromHalf: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case "bf16": load = { HalfConversion.float(fromBFloat16: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case "f64": load = { Float(Double(bitPattern: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        default: throw .unsupported(path: path, feature: "tensor \(name) holds \(storage.type) integers, not floats")
        }
        let shape = self.shape, strides = self.strides, offset = self.offset
        let contiguous = zip(strides, shape.indices).allSatisfy { stride, axis in stride == shape[(axis + 1)...].reduce(1, *) }
        return Tensor(shape: shape) { values in
            guard count > 0 else { return }
            if contiguous, storage.type == "f32" {
                UnsafeMutableRawPointer(values).copyMemory(from: bytes.baseAddress! + offset * 4, byteCount: count * 4)
                return
            }
            var index = [Int](repeating: 0, count: shape.count)
            var source = offset
            for i in 0..<count {
                values[i] = load(source)
                // Advance the multi-index, last axis fastest.
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    source &+= strides[axis]  // wraps only past the last element, never read
                    if index[axis] < shape[axis] { break }
                    source &-= strides[axis] &* shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
