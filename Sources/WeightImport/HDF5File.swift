/// A read-only HDF5 file, limited to the subset that Keras writes through h5py: superblocks
/// version 0 to 3, object headers version 1 and 2, groups as symbol tables or compact link
/// messages, contiguous or compact datasets of little-endian floats and integers, and string
/// attributes (fixed-length or variable-length in the global heap).
///
/// See: https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html (the file format specification).
/// NOTE: every offset and count in the file is checked before use and every structure walk is
/// bounded, so a malformed or hostile file raises `WeightImportError`, never a crash or a hang.
/// Chunked (and so compressed) datasets and dense link storage are refused as unsupported.
final class HDF5File {
    /// A group member: its name and the address of its object header.
    struct Link: Equatable {
        let name: String
        let address: Int
    }

    let source: LoadedBytes
    var path: String { source.path }
    /// Width of file offsets and of lengths, in bytes.
    let offsetSize: Int, lengthSize: Int
    private let baseAddress: Int
    /// Object header address of the root group.
    let rootAddress: Int
    /// Symbol-table groups carry their B-tree and heap in the superblock's cache too.
    private let rootSymbolTable: (btree: Int, heap: Int)?

    /// Upper bounds that stop hostile files from looping or recursing without end.
    static let maxMessages = 100_000, maxDepth = 64, maxMembers = 100_000

    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Opens the HDF5 data in `source`.
    /// - Throws: `WeightImportError` when it is not an HDF5 file or its superblock is malformed.
    init(_ source: LoadedBytes) throws(WeightImportError) {
        self.source = source
        var start = 0
        while start + 8 <= source.bytes.count, !source.bytes[start..<(start + 8)].elementsEqual(Self.signature) {
            start = start == 0 ? 512 : start * 2
        }
        guard start + 8 <= source.bytes.count else { throw .malformed(path: source.path, reason: "no HDF5 superblock") }
        var r = source.reader(at: start + 8)
        let version = try r.u8("the superblock")
        switch version {
        case 0, 1:
            try r.skip(4, "the superblock")
            offsetSize = try r.u8("the superblock")
            lengthSize = try r.u8("the superblock")
            try Self.checkSizes(offsetSize, lengthSize, path: source.path)
            try r.skip(1 + 2 + 2 + 4 + (version == 1 ? 4 : 0), "the superblock")
            baseAddress = try r.offset(offsetSize, "the base address")
            try r.skip(3 * offsetSize, "the superblock")
            try r.skip(offsetSize, "the root group entry")
            let root = try r.offset(offsetSize, "the root group address")
            let cacheType = try r.u32("the root group entry")
            try r.skip(4, "the root group entry")
            let btree = try r.offset(offsetSize, "the root group entry")
            let heap = try r.offset(offsetSize, "the root group entry")
            rootAddress = root
            rootSymbolTable = cacheType == 1 ? (btree, heap) : nil
        case 2, 3:
            offsetSize = try r.u8("the superblock")
            lengthSize = try r.u8("the superblock")
            try Self.checkSizes(offsetSize, lengthSize, path: source.path)
            try r.skip(1, "the superblock")
            baseAddress = try r.offset(offsetSize, "the base address")
            try r.skip(2 * offsetSize, "the superblock")
            rootAddress = try r.offset(offsetSize, "the root group address")
            rootSymbolTable = nil
        default:
            throw .unsupported(path: source.path, feature: "HDF5 superblock version \(version)")
        }
        guard baseAddress >= 0 else { throw .malformed(path: source.path, reason: "undefined base address") }
    }

    private static func checkSizes(_ offsets: Int, _ lengths: Int, path: String) throws(WeightImportError) {
        guard [2, 4, 8].contains(offsets), [2, 4, 8].contains(lengths) else {
            throw .malformed(path: path, reason: "offset size \(offsets) or length size \(lengths) is not 2, 4 or 8")
        }
    }

    /// A reader at file address `address` (relative to the base address).
    func reader(at address: Int, _ what: String) throws(WeightImportError) -> ByteReader {
        guard address >= 0, address <= source.bytes.count - baseAddress else {
            throw .truncated(path: path, what: "\(what) at address \(address) lies outside the file")
        }
        return source.reader(at: baseAddress + address)
    }

    // MARK: - Groups

    /// The members of the group whose object header is at `address`, sorted by name.
    func members(ofGroup address: Int) throws(WeightImportError) -> [Link] {
        let header = try ObjectHeader(self, at: address)
        var links: [Link] = []
        if let table = header.first(.symbolTable) {
            var r = table
            let btree = try r.offset(offsetSize, "a symbol table message")
            let heap = try r.offset(offsetSize, "a symbol table message")
            links = try symbolTableMembers(btree: btree, heap: heap)
        } else if address == rootAddress, let table = rootSymbolTable, header.messages.isEmpty {
            links = try symbolTableMembers(btree: table.btree, heap: table.heap)
        } else {
            if var info = header.first(.linkInfo) {
                try info.skip(1, "a link info message")
                let flags = try info.u8("a link info message")
                if flags & 1 != 0 { try info.skip(8, "a link info message") }
                if try info.offset(offsetSize, "a link info message") != -1 {
                    throw .unsupported(path: path, feature: "dense link storage (a group with many members in a fractal heap)")
                }
            }
            for message in header.all(.link) { if let link = try parseLink(message) { links.append(link) } }
        }
        return links.sorted { $0.name < $1.name }
    }

    /// Follows `names` from the root group; nil when a member is missing.
    func address(of names: [String]) throws(WeightImportError) -> Int? {
        var address = rootAddress
        for name in names {
            guard let link = try members(ofGroup: address).first(where: { $0.name == name }) else { return nil }
            address = link.address
        }
        return address
    }

    /// Whether the object at `address` is a group (it has a symbol table or link messages, or is
    /// an empty group) rather than a dataset.
    func isGroup(_ address: Int) throws(WeightImportError) -> Bool {
        try ObjectHeader(self, at: address).first(.layout) == nil
    }

    /// Reads a version 1 B-tree of group nodes and its symbol table nodes.
    private func symbolTableMembers(btree: Int, heap: Int) throws(WeightImportError) -> [Link] {
        let names = try LocalHeap(self, at: heap)
        var links: [Link] = []
        var visited = Set<Int>()
        func walk(_ node: Int, depth: Int) throws(WeightImportError) {
            guard depth < Self.maxDepth, visited.insert(node).inserted else {
                throw .malformed(path: path, reason: "group B-tree has a cycle or is too deep")
            }
            var r = try reader(at: node, "a group B-tree node")
            try r.expect("TREE", "a group B-tree node")
            guard try r.u8("a B-tree node") == 0 else { throw .malformed(path: path, reason: "B-tree node is not a group node") }
            let level = try r.u8("a B-tree node")
            let entries = try r.u16("a B-tree node")
            try r.skip(2 * offsetSize + lengthSize, "a B-tree node")
            for _ in 0..<entries {
                let child = try r.offset(offsetSize, "a B-tree child")
                try r.skip(lengthSize, "a B-tree key")
                if level > 0 {
                    try walk(child, depth: depth + 1)
                } else {
                    try symbolNode(child, names: names, into: &links)
                }
            }
        }
        try walk(btree, depth: 0)
        return links
    }

    private func symbolNode(_ address: Int, names: LocalHeap, into links: inout [Link]) throws(WeightImportError) {
        var r = try reader(at: address, "a symbol table node")
        try r.expect("SNOD", "a symbol table node")
        try r.skip(2, "a symbol table node")
        let count = try r.u16("a symbol table node")
        for _ in 0..<count {
            let nameOffset = try r.offset(offsetSize, "a symbol table entry")
            let object = try r.offset(offsetSize, "a symbol table entry")
            try r.skip(24, "a symbol table entry")
            guard links.count < Self.maxMembers else { throw .tooLarge(path: path, what: "group member count", limit: Self.maxMembers) }
            links.append(Link(name: try names.string(at: nameOffset), address: object))
        }
    }

    /// A link message: a hard link's name and target; nil for soft and external links.
    private func parseLink(_ message: ByteReader) throws(WeightImportError) -> Link? {
        var r = message
        guard try r.u8("a link message") == 1 else { throw .unsupported(path: path, feature: "link message version") }
        let flags = try r.u8("a link message")
        let type = flags & 0x08 != 0 ? try r.u8("a link message") : 0
        if flags & 0x04 != 0 { try r.skip(8, "a link message") }
        if flags & 0x10 != 0 { try r.skip(1, "a link message") }
        let length = try r.offset(1 << (flags & 3), "a link name length")
        let name = String(decoding: try r.bytes(length, "a link name"), as: UTF8.self)
        guard type == 0 else { return nil }
        return Link(name: name, address: try r.offset(offsetSize, "a link address"))
    }

    // MARK: - Datasets and attributes

    /// The dataset whose object header is at `address`.
    func dataset(at address: Int, name: String) throws(WeightImportError) -> HDF5Dataset {
        try HDF5Dataset(self, header: try ObjectHeader(self, at: address), name: name)
    }

    /// The string attributes of the object at `address` (others are skipped).
    func stringAttributes(of address: Int) throws(WeightImportError) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for message in try ObjectHeader(self, at: address).all(.attribute) {
            if let (name, values) = try HDF5Attribute.strings(from: message, in: self) { result[name] = values }
        }
        return result
    }
}

/// A local heap: the names of a symbol-table group's members.
private struct LocalHeap {
    let data: ByteReader
    let size: Int

    init(_ file: HDF5File, at address: Int) throws(WeightImportError) {
        var r = try file.reader(at: address, "a local heap")
        try r.expect("HEAP", "a local heap")
        try r.skip(4, "a local heap")
        size = try r.offset(file.lengthSize, "a local heap size")
        try r.skip(file.lengthSize, "a local heap")
        data = try file.reader(at: try r.offset(file.offsetSize, "a local heap address"), "a local heap's data")
        try data.require(size, "a local heap's data")
    }

    /// The NUL-terminated string at `offset`.
    func string(at offset: Int) throws(WeightImportError) -> String {
        guard offset >= 0, offset < size else { throw .malformed(path: data.path, reason: "link name offset \(offset) outside its heap") }
        let bytes = UnsafeRawBufferPointer(rebasing: data.bytes[(data.position + offset)..<(data.position + size)])
        guard let end = bytes.firstIndex(of: 0) else { throw .malformed(path: data.path, reason: "unterminated link name") }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
