/// The messages of one object header (version 1 or 2), continuation blocks followed.
struct ObjectHeader {
    /// The message types this reader uses.
    enum Kind: Int {
        case dataspace = 0x01, linkInfo = 0x02, datatype = 0x03, link = 0x06, layout = 0x08
        case filters = 0x0B, attribute = 0x0C, continuation = 0x10, symbolTable = 0x11
    }

    /// Each message's type and a reader limited to its body.
    private(set) var messages: [(type: Int, body: ByteReader)] = []

    init(_ file: HDF5File, at address: Int) throws(WeightImportError) {
        var r = try file.reader(at: address, "an object header")
        var blocks: [(start: Int, length: Int)] = []
        let version2: Bool
        if try r.uint(1, "an object header") == 1 {
            version2 = false
            try r.skip(3 + 4, "an object header")
            let size = try r.u32("an object header")
            try r.skip(4, "an object header")
            blocks.append((r.position, size))
        } else {
            r.position -= 1
            try r.expect("OHDR", "an object header")
            guard try r.u8("an object header") == 2 else { throw .unsupported(path: file.path, feature: "object header version") }
            version2 = true
            let flags = try r.u8("an object header")
            if flags & 0x20 != 0 { try r.skip(16, "an object header") }
            if flags & 0x10 != 0 { try r.skip(4, "an object header") }
            let size = try r.offset(1 << (flags & 3), "an object header")
            blocks.append((r.position, size))
            creationOrder = flags & 0x04 != 0
        }
        var visited = Set<Int>()
        var index = 0
        while index < blocks.count {
            let block = blocks[index]
            index += 1
            guard visited.insert(block.start).inserted else { throw .malformed(path: file.path, reason: "object header continuation loops") }
            var m = file.source.reader(at: block.start)
            try m.require(block.length, "an object header block")
            let end = block.start + block.length - (version2 && index > 1 ? 4 : 0)
            let prefix = version2 ? 4 + (creationOrder ? 2 : 0) : 8
            while end - m.position >= prefix {
                let type: Int, size: Int, flags: Int
                if version2 {
                    type = try m.u8()
                    size = try m.u16()
                    flags = try m.u8()
                    if creationOrder { try m.skip(2) }
                } else {
                    type = try m.u16()
                    size = try m.u16()
                    flags = try m.u8()
                    try m.skip(3)
                }
                guard size <= end - m.position else { throw .truncated(path: file.path, what: "an object header message") }
                let body = ByteReader(UnsafeRawBufferPointer(rebasing: m.bytes[..<(m.position + size)]), path: file.path, at: m.position)
                m.position += size
                guard messages.count < HDF5File.maxMessages else {
                    throw .tooLarge(path: file.path, what: "object header message count", limit: HDF5File.maxMessages)
                }
                if type == Kind.continuation.rawValue {
                    var c = body
                    let target = try c.offset(file.offsetSize, "a continuation message")
                    let length = try c.offset(file.lengthSize, "a continuation message")
                    guard length >= 8, length <= file.source.bytes.count else {
                        throw .malformed(path: file.path, reason: "object header continuation of \(length) bytes")
                    }
                    var block = try file.reader(at: target, "an object header continuation")
                    if version2 { try block.expect("OCHK", "an object header continuation") }
                    blocks.append((block.position, length - (version2 ? 4 : 0)))
                } else if type != 0 {
                    guard flags & 0x02 == 0 else { throw .unsupported(path: file.path, feature: "shared object header messages") }
                    messages.append((type, body))
                }
            }
        }
    }

    private var creationOrder = false

    /// The first message of `kind`, if any.
    func first(_ kind: Kind) -> ByteReader? { messages.first { $0.type == kind.rawValue }?.body }

    /// Every message of `kind`, in order.
    func all(_ kind: Kind) -> [ByteReader] { messages.filter { $0.type == kind.rawValue }.map(\.body) }
}

/// An HDF5 datatype, as far as weights and attributes need.
enum HDF5Type: Equatable {
    case float(bytes: Int)
    case integer(bytes: Int, signed: Bool)
    case fixedString(bytes: Int)
    case variableString
    case other(String)

    /// Bytes per element in a dataset or attribute.
    func size(offsetSize: Int) -> Int {
        switch self {
        case let .float(bytes), let .integer(bytes, _), let .fixedString(bytes): bytes
        case .variableString: 4 + offsetSize + 4
        case .other: 0
        }
    }

    init(_ message: ByteReader, path: String) throws(WeightImportError) {
        var r = message
        let classAndVersion = try r.u8("a datatype message")
        let bits = try r.u8("a datatype message")
        let moreBits = try r.u16("a datatype message")
        let size = try r.u32("a datatype message")
        let bigEndian = bits & 1 != 0
        switch classAndVersion & 0x0F {
        case 0: self = bigEndian ? .other("big-endian integers") : .integer(bytes: size, signed: bits & 0x08 != 0)
        case 1:
            self = bigEndian || moreBits != 0 && bits & 0x40 != 0 ? .other("big-endian or VAX floats") : .float(bytes: size)
        case 3: self = .fixedString(bytes: size)
        case 9:
            self = bits & 0x0F == 1 ? .variableString : .other("variable-length sequences")
        case let typeClass: self = .other("datatype class \(typeClass)")
        }
    }
}

/// Dimensions from a dataspace message (empty for a scalar).
func hdf5Dimensions(_ message: ByteReader, lengthSize: Int) throws(WeightImportError) -> [Int] {
    var r = message
    let version = try r.u8("a dataspace message")
    let rank = try r.u8("a dataspace message")
    try r.skip(version == 1 ? 6 : 2, "a dataspace message")
    var dims: [Int] = []
    for _ in 0..<rank {
        let dim = try r.offset(lengthSize, "a dataspace dimension")
        guard dim >= 0, dim < 1 << 40 else { throw .malformed(path: r.path, reason: "dataspace dimension out of range") }
        dims.append(dim)
    }
    return dims
}

/// A dataset's shape, element type and where its raw data lies.
struct HDF5Dataset {
    let name: String
    let shape: [Int]
    let type: HDF5Type
    /// The stored elements, `shape.product * type.size` bytes.
    let data: UnsafeRawBufferPointer

    init(_ file: HDF5File, header: ObjectHeader, name: String) throws(WeightImportError) {
        self.name = name
        guard let space = header.first(.dataspace), let typeMessage = header.first(.datatype),
              var layout = header.first(.layout) else {
            throw .malformed(path: file.path, reason: "\(name) is not a dataset")
        }
        shape = try hdf5Dimensions(space, lengthSize: file.lengthSize)
        type = try HDF5Type(typeMessage, path: file.path)
        if header.first(.filters) != nil {
            throw .unsupported(path: file.path, feature: "\(name) is compressed or filtered")
        }
        let elementSize = type.size(offsetSize: file.offsetSize)
        let (count, overflow) = shape.reduce((1, false)) { acc, dim in
            let (product, o) = acc.0.multipliedReportingOverflow(by: dim)
            return (product, acc.1 || o)
        }
        let (byteCount, overflow2) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, !overflow2 else { throw .tooLarge(path: file.path, what: "\(name)'s size", limit: Int.max) }
        let version = try layout.u8("a layout message")
        guard version == 3 || version == 4 else { throw .unsupported(path: file.path, feature: "data layout version \(version)") }
        switch try layout.u8("a layout message") {
        case 0:
            let size = try layout.u16("a compact layout")
            guard size >= byteCount else { throw .truncated(path: file.path, what: "\(name)'s compact data") }
            data = try layout.bytes(byteCount, "\(name)'s compact data")
        case 1:
            let address = try layout.offset(file.offsetSize, "a contiguous layout")
            let size = try layout.offset(file.lengthSize, "a contiguous layout")
            if address == -1, byteCount == 0 {
                data = UnsafeRawBufferPointer(start: nil, count: 0)
            } else {
                guard size >= byteCount else { throw .malformed(path: file.path, reason: "\(name) stores fewer bytes than its shape needs") }
                var r = try file.reader(at: address, "\(name)'s data")
                data = try r.bytes(byteCount, "\(name)'s data")
            }
        case 2: throw .unsupported(path: file.path, feature: "\(name) uses chunked storage")
        case let layoutClass: throw .unsupported(path: file.path, feature: "data layout class \(layoutClass)")
        }
    }
}

/// Reading string attributes.
enum HDF5Attribute {
    /// The attribute's name and values when it holds strings; nil for other types.
    static func strings(from message: ByteReader, in file: HDF5File) throws(WeightImportError) -> (String, [String])? {
        var r = message
        let version = try r.u8("an attribute message")
        guard (1...3).contains(version) else { throw .unsupported(path: file.path, feature: "attribute message version \(version)") }
        try r.skip(1, "an attribute message")
        let nameSize = try r.u16("an attribute message")
        let typeSize = try r.u16("an attribute message")
        let spaceSize = try r.u16("an attribute message")
        if version == 3 { try r.skip(1, "an attribute message") }
        func padded(_ n: Int) -> Int { version == 1 ? (n + 7) / 8 * 8 : n }
        let nameBytes = try r.bytes(padded(nameSize), "an attribute name")
        let name = String(decoding: nameBytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        let type = try HDF5Type(ByteReader(try r.bytes(padded(typeSize), "an attribute type"), path: file.path), path: file.path)
        let dims = try hdf5Dimensions(ByteReader(try r.bytes(padded(spaceSize), "an attribute dataspace"), path: file.path),
                                      lengthSize: file.lengthSize)
        let count = dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard count <= r.remaining else { throw .truncated(path: file.path, what: "attribute \(name)") }
        var values: [String] = []
        switch type {
        case let .fixedString(size):
            for _ in 0..<count {
                values.append(String(decoding: try r.bytes(size, "attribute \(name)").prefix(while: { $0 != 0 }), as: UTF8.self))
            }
        case .variableString:
            for _ in 0..<count {
                let length = try r.u32("attribute \(name)")
                let collection = try r.offset(file.offsetSize, "attribute \(name)")
                let index = try r.u32("attribute \(name)")
                values.append(try globalHeapString(file, collection: collection, index: index, length: length))
            }
        default: return nil
        }
        return (name, values)
    }

    /// Object `index` of the global heap collection at `collection`, as a string of `length` bytes.
    private static func globalHeapString(_ file: HDF5File, collection: Int, index: Int, length: Int) throws(WeightImportError) -> String {
        var r = try file.reader(at: collection, "a global heap")
        try r.expect("GCOL", "a global heap")
        try r.skip(4, "a global heap")
        let size = try r.offset(file.lengthSize, "a global heap")
        guard size >= 0, size <= r.bytes.count else { throw .truncated(path: file.path, what: "a global heap") }
        let end = r.position - 8 - file.lengthSize + size
        guard end <= r.bytes.count else { throw .truncated(path: file.path, what: "a global heap") }
        while r.position + 8 + file.lengthSize <= end {
            let objectIndex = try r.u16("a global heap object")
            try r.skip(6, "a global heap object")
            let objectSize = try r.offset(file.lengthSize, "a global heap object")
            guard objectIndex != 0 else { break }
            guard objectSize >= 0, objectSize <= end - r.position else { throw .truncated(path: file.path, what: "a global heap object") }
            if objectIndex == index {
                guard length <= objectSize else { throw .malformed(path: file.path, reason: "string longer than its heap object") }
                return String(decoding: try r.bytes(length, "a global heap object"), as: UTF8.self)
            }
            try r.skip((objectSize + 7) / 8 * 8, "a global heap object")
        }
        throw .malformed(path: file.path, reason: "global heap object \(index) not found")
    }
}
