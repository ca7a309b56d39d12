/// Rebuilds the data in a PyTorch pickle without running anything from it.
///
/// Only data opcodes are interpreted (protocols 2 to 5: numbers, strings, tuples, lists,
/// dictionaries, sets, the memo). Globals must be on an allow-list: tensor and parameter
/// rebuilding, `OrderedDict`, `set`, the torch storage classes, and the module classes of
/// `torch.nn` and `torchvision.models`, which are recorded as inert objects whose state is kept
/// as data. Every other global (`os.system`, `builtins.eval`, …), and the opcodes that call or
/// import anything else, are refused with `WeightImportError.refused`.
///
/// See: https://github.com/python/cpython/blob/main/Lib/pickletools.py (the opcodes).
/// NOTE: unlike `torch.load(weights_only=True)`, module classes are allowed, because a whole
/// pickled model is a form the original app saved; they are never instantiated, only walked.
struct RestrictedUnpickler {
    static let maxStack = 1_000_000, maxMemo = 1_000_000
    /// How deep containers may nest: a whole pickled InceptionV3 needs about 20 levels.
    static let maxNesting = 100

    private var r: ByteReader
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every storage a persistent id named, by key.
    private var storages: [String: TorchStorage] = [:]
    private var path: String { r.path }

    init(_ bytes: UnsafeRawBufferPointer, path: String, at offset: Int = 0) { r = ByteReader(bytes, path: path, at: offset) }

    /// A pickle's value, the offset just after its STOP, and the storages it names.
    struct Result {
        let value: PickleValue
        let end: Int
        let storages: [String: TorchStorage]
    }

    /// The value pickled at `offset` in `bytes`.
    /// - Throws: `WeightImportError.refused` for a disallowed global or opcode, `.malformed` or
    ///   `.truncated` for a damaged pickle.
    static func load(_ bytes: UnsafeRawBufferPointer, path: String, at offset: Int = 0) throws(WeightImportError) -> Result {
        var unpickler = RestrictedUnpickler(bytes, path: path, at: offset)
        let value = try unpickler.run()
        return Result(value: value, end: unpickler.r.position, storages: unpickler.storages)
    }

    private mutating func run() throws(WeightImportError) -> PickleValue {
        while true {
            let opcode = try r.u8("a pickle opcode")
            switch UInt8(opcode) {
            case 0x80: _ = try r.u8("the pickle protocol")                            // PROTO
            case 0x95: try r.skip(8, "a pickle frame")                                // FRAME
            case 0x2E:                                                                // STOP
                guard stack.count == 1, marks.isEmpty else { throw malformed("STOP with \(stack.count) values on the stack") }
                return stack[0]
            case 0x28: marks.append(stack.count)                                      // MARK
            case 0x30: _ = try pop()                                                  // POP
            case 0x31: _ = try popMark()                                              // POP_MARK
            case 0x32: try push(try top())                                            // DUP
            case 0x4E: try push(.none)                                                // NONE
            case 0x88: try push(.bool(true))                                          // NEWTRUE
            case 0x89: try push(.bool(false))                                         // NEWFALSE
            case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try r.u32()))))    // BININT
            case 0x4B: try push(.int(try r.u8()))                                     // BININT1
            case 0x4D: try push(.int(try r.u16()))                                    // BININT2
            case 0x8A: try push(.int(try long(try r.u8())))                           // LONG1
            case 0x47: try push(.float(Double(bitPattern: bigEndian(try r.uint(8))))) // BINFLOAT
            case 0x49: try push(try textInt())                                        // INT
            case 0x58: try push(.string(try text(try r.u32())))                       // BINUNICODE
            case 0x8C: try push(.string(try text(try r.u8())))                        // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(try length64())))                    // BINUNICODE8
            case 0x54: try push(.string(try text(try r.u32())))                       // BINSTRING
            case 0x55: try push(.string(try text(try r.u8())))                        // SHORT_BINSTRING
            case 0x42: try push(.bytes(Array(try r.bytes(try r.u32(), "pickle bytes"))))  // BINBYTES
            case 0x43: try push(.bytes(Array(try r.bytes(try r.u8(), "pickle bytes"))))   // SHORT_BINBYTES
            case 0x29: try push(.tuple([], depth: 1))                                 // EMPTY_TUPLE
            case 0x74: try push(try tuple(try popMark()))                             // TUPLE
            case 0x85: try push(try tuple(try pop(1)))                                // TUPLE1
            case 0x86: try push(try tuple(try pop(2)))                                // TUPLE2
            case 0x87: try push(try tuple(try pop(3)))                                // TUPLE3
            case 0x5D: try push(.list(PickleList()))                                  // EMPTY_LIST
            case 0x6C:                                                                // LIST
                let list = PickleList()
                try append(try popMark(), to: list)
                try push(.list(list))
            case 0x61: try append(try pop(1), to: try listOnTop())                    // APPEND
            case 0x65: try append(try popMark(), to: try listOnTop())                 // APPENDS
            case 0x7D: try push(.dict(PickleDict()))                                  // EMPTY_DICT
            case 0x64:                                                                // DICT
                let dict = PickleDict()
                try setItems(try popMark(), in: dict)
                try push(.dict(dict))
            case 0x73: try setItems(try pop(2), in: try dictOnTop())                  // SETITEM
            case 0x75:                                                                // SETITEMS
                let items = try popMark()
                try setItems(items, in: try dictOnTop())
            case 0x8F: try push(.list(PickleList()))                                  // EMPTY_SET (kept as a list)
            case 0x90: try append(try popMark(), to: try listOnTop())                 // ADDITEMS
            case 0x68: try push(try memoValue(try r.u8()))                            // BINGET
            case 0x6A: try push(try memoValue(try r.u32()))                           // LONG_BINGET
            case 0x67: try push(try memoValue(try lineInt()))                         // GET
            case 0x71: try store(try r.u8())                                          // BINPUT
            case 0x72: try store(try r.u32())                                         // LONG_BINPUT
            case 0x70: try store(try lineInt())                                       // PUT
            case 0x94: try store(memo.count)                                          // MEMOIZE
            case 0x63:                                                                // GLOBAL
                let module = try line(), name = try line()
                try push(try global(module, name))
            case 0x93:                                                                // STACK_GLOBAL
                let names = try pop(2)
                guard let module = names[0].string, let name = names[1].string else { throw malformed("STACK_GLOBAL without names") }
                try push(try global(module, name))
            case 0x52:                                                                // REDUCE
                let args = try pop(2)
                try push(try reduce(args[0], args[1]))
            case 0x81:                                                                // NEWOBJ
                let args = try pop(2)
                try push(try newObject(args[0]))
            case 0x62:                                                                // BUILD
                let state = try pop()
                switch try top() {
                case let .object(object):
                    try change(object)
                    object.depth = try depth(of: [state], in: object.depth)
                    object.state = state
                case .dict, .tensor: break   // OrderedDict._metadata, tensor hooks: not needed
                default: throw malformed("BUILD on a value that has no state")
                }
            case 0x51:                                                                // BINPERSID
                try push(try persistentStorage(try pop()))
            default:
                throw WeightImportError.refused(
                    path: path, reason: "pickle opcode 0x\(String(opcode, radix: 16)) at byte \(r.position - 1) is not a data opcode this reader allows")
            }
        }
    }

    // MARK: - Allowed globals

    private static let storageTypes = [
        "FloatStorage": "f32", "HalfStorage": "f16", "BFloat16Storage": "bf16", "DoubleStorage": "f64",
        "LongStorage": "i64", "IntStorage": "i32", "ShortStorage": "i16", "CharStorage": "i8",
        "ByteStorage": "u8", "BoolStorage": "bool",
    ]
    private static let functions: Set<String> = [
        "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "collections.OrderedDict",
        "__builtin__.set", "builtins.set",
    ]

    /// The allowed global `module.name`, or a refusal.
    private func global(_ module: String, _ name: String) throws(WeightImportError) -> PickleValue {
        let full = "\(module).\(name)"
        if Self.functions.contains(full) || module == "torch" && Self.storageTypes[name] != nil
            || Self.isModuleClass(module: module, name: name) {
            return .global(module: module, name: name)
        }
        throw .refused(path: path, reason: "the pickle imports \(full), which is not on the allow-list")
    }

    /// torch.nn layers and torchvision models: classes whose instances are only walked.
    private static func isModuleClass(module: String, name: String) -> Bool {
        (module.hasPrefix("torch.nn.modules.") || module.hasPrefix("torchvision.models."))
            && !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && name.first!.isUppercase
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(WeightImportError) -> PickleValue {
        guard case let .global(module, name) = callable, case let .tuple(args, _) = arguments else {
            throw malformed("REDUCE without an allowed callable and an argument tuple")
        }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            let dict = PickleDict()
            if case let .list(pairs)? = args.first {
                for pair in pairs.items {
                    guard case let .tuple(kv, _) = pair, kv.count == 2 else { throw malformed("OrderedDict item is not a pair") }
                    try setItems(kv, in: dict)
                }
            }
            return .dict(dict)
        case "__builtin__.set", "builtins.set":
            let set = PickleList()
            if case let .list(items)? = args.first { try append(items.items, to: set) }
            return .list(set)
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4, case let .storage(storage) = args[0], let offset = args[1].int,
                  case let .tuple(size, _) = args[2], case let .tuple(stride, _) = args[3] else {
                throw malformed("_rebuild_tensor_v2 with unexpected arguments")
            }
            let shape = size.compactMap(\.int), strides = stride.compactMap(\.int)
            guard shape.count == size.count, strides.count == stride.count, shape.count == strides.count else {
                throw malformed("tensor size and stride are not integer tuples of one length")
            }
            return .tensor(TorchTensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            guard case .tensor? = args.first else { throw malformed("_rebuild_parameter without a tensor") }
            return args[0]
        default:
            throw WeightImportError.refused(path: path, reason: "the pickle calls \(module).\(name), which may only be instantiated inertly")
        }
    }

    private func newObject(_ type: PickleValue) throws(WeightImportError) -> PickleValue {
        guard case let .global(module, name) = type, Self.isModuleClass(module: module, name: name) else {
            throw WeightImportError.refused(path: path, reason: "NEWOBJ of something other than a torch.nn or torchvision module class")
        }
        return .object(PickleObject(module: module, name: name))
    }

    /// `('storage', torch.FloatStorage, key, location, count)`, with a sixth field, the view
    /// metadata, `None`, in the legacy format.
    private mutating func persistentStorage(_ id: PickleValue) throws(WeightImportError) -> PickleValue {
        guard case let .tuple(parts, _) = id, parts.count == 5 || parts.count == 6, parts[0].string == "storage",
              case let .global("torch", typeName) = parts[1], let type = Self.storageTypes[typeName],
              let key = parts[2].string, let count = parts[4].int, count >= 0 else {
            throw malformed("persistent id is not a torch storage")
        }
        if parts.count == 6, case .none = parts[5] {} else if parts.count == 6 {
            throw .unsupported(path: path, feature: "storage views of the pre-1.0 torch.save format")
        }
        let storage = TorchStorage(key: key, type: type, count: count)
        storages[key] = storage
        return .storage(storage)
    }

    // MARK: - Stack, memo and operands

    private func malformed(_ reason: String) -> WeightImportError {
        .malformed(path: path, reason: "pickle: \(reason) (byte \(r.position))")
    }

    private mutating func push(_ value: PickleValue) throws(WeightImportError) {
        guard stack.count < Self.maxStack else { throw .tooLarge(path: path, what: "pickle stack", limit: Self.maxStack) }
        stack.append(value)
    }

    private mutating func pop() throws(WeightImportError) -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw malformed("stack underflow") }
        return value
    }

    private mutating func pop(_ count: Int) throws(WeightImportError) -> [PickleValue] {
        guard stack.count - count >= (marks.last ?? 0) else { throw malformed("stack underflow") }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private mutating func popMark() throws(WeightImportError) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw malformed("no MARK") }
        defer { stack.removeLast(stack.count - mark) }
        return Array(stack[mark...])
    }

    private func top() throws(WeightImportError) -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("empty stack") }
        return value
    }

    private func dictOnTop() throws(WeightImportError) -> PickleDict {
        guard case let .dict(dict) = try top() else { throw malformed("SETITEM without a dictionary") }
        return dict
    }

    private func listOnTop() throws(WeightImportError) -> PickleList {
        guard case let .list(list) = try top() else { throw malformed("APPEND without a list or set") }
        return list
    }

    private func setItems(_ items: [PickleValue], in dict: PickleDict) throws(WeightImportError) {
        guard items.count % 2 == 0 else { throw malformed("odd number of dictionary items") }
        try change(dict)
        dict.depth = try depth(of: items, in: dict.depth)
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    private func append(_ items: [PickleValue], to list: PickleList) throws(WeightImportError) {
        try change(list)
        list.depth = try depth(of: items, in: list.depth)
        list.items += items
    }

    private func tuple(_ items: [PickleValue]) throws(WeightImportError) -> PickleValue {
        .tuple(items, depth: try depth(of: items, in: 1))
    }

    /// The depth of a container of depth `depth` once `items` are in it; marks them nested.
    /// - Throws: `.tooLarge` past `maxNesting`.
    private func depth(of items: [PickleValue], in depth: Int) throws(WeightImportError) -> Int {
        var result = depth
        for item in items {
            item.markNested()
            result = max(result, item.depth + 1)
        }
        guard result <= Self.maxNesting else { throw .tooLarge(path: path, what: "pickle nesting depth", limit: Self.maxNesting) }
        return result
    }

    /// Refuses to change a container already nested in another (its depth is final).
    private func change(_ container: PickleContainer) throws(WeightImportError) {
        guard !container.nested else {
            throw .unsupported(path: path, feature: "a pickle that changes a container after nesting it (a self-referencing structure)")
        }
    }

    private mutating func store(_ index: Int) throws(WeightImportError) {
        guard memo.count < Self.maxMemo || memo[index] != nil else { throw .tooLarge(path: path, what: "pickle memo", limit: Self.maxMemo) }
        memo[index] = try top()
    }

    private func memoValue(_ index: Int) throws(WeightImportError) -> PickleValue {
        guard let value = memo[index] else { throw malformed("memo entry \(index) is not defined") }
        return value
    }

    private mutating func text(_ count: Int) throws(WeightImportError) -> String {
        String(decoding: try r.bytes(count, "a pickle string"), as: UTF8.self)
    }

    private mutating func length64() throws(WeightImportError) -> Int {
        let length = try r.uint(8, "a pickle string length")
        guard length <= UInt64(r.remaining) else { throw .truncated(path: path, what: "a pickle string") }
        return Int(length)
    }

    /// A newline-terminated ASCII line (GLOBAL, INT, GET and PUT operands).
    private mutating func line() throws(WeightImportError) -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = UInt8(try r.u8("a pickle text operand"))
            if byte == 0x0A { break }
            guard bytes.count < 1024 else { throw malformed("text operand longer than 1024 bytes") }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func lineInt() throws(WeightImportError) -> Int {
        let text = try line()
        guard let value = Int(text) else { throw malformed("\"\(text)\" is not an integer") }
        return value
    }

    private mutating func textInt() throws(WeightImportError) -> PickleValue {
        switch try line() {
        case "00": return .bool(false)
        case "01": return .bool(true)
        case let text:
            guard let value = Int(text) else { throw malformed("\"\(text)\" is not an integer") }
            return .int(value)
        }
    }

    /// A little-endian two's-complement integer of `count` bytes (at most 8).
    private mutating func long(_ count: Int) throws(WeightImportError) -> Int {
        guard count <= 8 else { throw .unsupported(path: path, feature: "pickled integers wider than 64 bits") }
        guard count > 0 else { return 0 }
        let raw = try r.uint(count, "a pickle integer")
        let shift = UInt64(64 - 8 * count)
        return Int(Int64(bitPattern: raw << shift) >> Int64(shift))
    }

    private func bigEndian(_ value: UInt64) -> UInt64 { value.byteSwapped }
}
