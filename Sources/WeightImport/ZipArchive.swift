import CZlib

/// A read-only zip archive: the container of `.keras` files and of `torch.save` checkpoints.
///
/// Reads the central directory, and members stored or deflated (through zlib), each checked
/// against its CRC-32. Members must lie inside the file; a deflated member may not expand past
/// `maxInflatedSize`, nor more than `maxRatio` times its compressed size once it is over a
/// megabyte, so a zip bomb is refused before any memory is spent on it.
/// NOTE: no ZIP64, encryption or multi-disk archives (neither Keras nor PyTorch writes them
/// for files under 4 GiB).
struct ZipArchive {
    struct Entry {
        let name: String
        let method: Int
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeader: Int
    }

    static let maxInflatedSize = 1 << 31, maxRatio = 200, maxEntries = 10_000

    let source: LoadedBytes
    /// Members in central-directory order.
    let entries: [Entry]
    var path: String { source.path }

    static func isZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 3 && bytes[3] == 4
    }

    init(_ source: LoadedBytes) throws(WeightImportError) {
        self.source = source
        let bytes = source.bytes
        let path = source.path
        // The end-of-central-directory record: the last 22 bytes, or further back with a comment.
        var end = -1
        var candidate = bytes.count - 22
        while candidate >= max(0, bytes.count - 22 - 0xFFFF) {
            if bytes[candidate] == 0x50, bytes[candidate + 1] == 0x4B, bytes[candidate + 2] == 5, bytes[candidate + 3] == 6 {
                end = candidate
                break
            }
            candidate -= 1
        }
        guard end >= 0 else { throw .truncated(path: path, what: "no zip end-of-central-directory record") }
        var r = source.reader(at: end + 8)
        let count = try r.u16("the zip directory record")
        guard try r.u16("the zip directory record") == count else { throw .unsupported(path: path, feature: "multi-disk zip") }
        let directorySize = try r.u32("the zip directory record")
        let directoryOffset = try r.u32("the zip directory record")
        if count == 0xFFFF || directoryOffset == 0xFFFF_FFFF {
            throw .unsupported(path: path, feature: "ZIP64 archives (over 4 GiB)")
        }
        guard directoryOffset + directorySize <= end else { throw .truncated(path: path, what: "the zip central directory") }
        guard count <= Self.maxEntries else { throw .tooLarge(path: path, what: "zip entry count", limit: Self.maxEntries) }
        var d = source.reader(at: directoryOffset)
        var entries: [Entry] = []
        for _ in 0..<count {
            try d.expect("PK\u{1}\u{2}", "a zip directory entry")
            try d.skip(4, "a zip directory entry")
            let flags = try d.u16("a zip directory entry")
            let method = try d.u16("a zip directory entry")
            try d.skip(4, "a zip directory entry")
            let crc = UInt32(try d.u32("a zip directory entry"))
            let compressed = try d.u32("a zip directory entry")
            let size = try d.u32("a zip directory entry")
            let nameLength = try d.u16("a zip directory entry")
            let extraLength = try d.u16("a zip directory entry")
            let commentLength = try d.u16("a zip directory entry")
            try d.skip(8, "a zip directory entry")
            let local = try d.u32("a zip directory entry")
            let name = String(decoding: try d.bytes(nameLength, "a zip entry name"), as: UTF8.self)
            try d.skip(extraLength + commentLength, "a zip directory entry")
            guard flags & 1 == 0 else { throw .unsupported(path: path, feature: "encrypted zip member \(name)") }
            if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                throw .unsupported(path: path, feature: "ZIP64 member \(name)")
            }
            entries.append(Entry(name: name, method: method, crc: crc, compressedSize: compressed, size: size, localHeader: local))
        }
        self.entries = entries
    }

    /// The member called `name`, if any.
    func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The contents of `entry`: a slice of the archive when stored, a new buffer when deflated.
    /// - Throws: `.tooLarge` for a zip bomb, `.truncated` or `.malformed` for a damaged member.
    func contents(_ entry: Entry) throws(WeightImportError) -> LoadedBytes {
        let memberPath = "\(path):\(entry.name)"
        var r = source.reader(at: entry.localHeader)
        try r.expect("PK\u{3}\u{4}", "zip member \(entry.name)")
        try r.skip(22, "zip member \(entry.name)")
        let nameLength = try r.u16("zip member \(entry.name)")
        let extraLength = try r.u16("zip member \(entry.name)")
        try r.skip(nameLength + extraLength, "zip member \(entry.name)")
        let start = r.position
        try r.require(entry.compressedSize, "zip member \(entry.name)")
        let stored = UnsafeRawBufferPointer(rebasing: source.bytes[start..<(start + entry.compressedSize)])
        let contents: LoadedBytes
        switch entry.method {
        case 0:
            guard entry.size == entry.compressedSize else {
                throw .malformed(path: path, reason: "stored member \(entry.name) has two different sizes")
            }
            contents = LoadedBytes(slice: start..<(start + entry.size), of: source, path: memberPath)
        case 8:
            guard entry.size <= Self.maxInflatedSize,
                  entry.size <= 1 << 20 || entry.size / max(entry.compressedSize, 1) <= Self.maxRatio else {
                throw .tooLarge(path: path, what: "zip member \(entry.name) (\(entry.size) bytes inflated from \(entry.compressedSize), a zip bomb?)",
                                limit: min(Self.maxInflatedSize, max(1 << 20, entry.compressedSize * Self.maxRatio)))
            }
            contents = LoadedBytes(adopting: try inflate(stored, size: entry.size, name: entry.name), path: memberPath)
        default:
            throw .unsupported(path: path, feature: "zip compression method \(entry.method) for \(entry.name)")
        }
        let crc = UInt32(crc32(0, contents.bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(contents.bytes.count)))
        guard crc == entry.crc else { throw .malformed(path: path, reason: "zip member \(entry.name) fails its CRC check") }
        return contents
    }

    /// Raw-deflate `input` into a new buffer of exactly `size` bytes.
    private func inflate(_ input: UnsafeRawBufferPointer, size: Int, name: String) throws(WeightImportError) -> UnsafeMutableRawBufferPointer {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            output.deallocate()
            throw .malformed(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(size)
        let status = CZlib.inflate(&stream, Z_FINISH)
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            output.deallocate()
            throw status == Z_BUF_ERROR && stream.avail_out == 0
                ? .malformed(path: path, reason: "zip member \(name) inflates past its declared size")
                : .malformed(path: path, reason: "zip member \(name) is not valid deflate data")
        }
        return output
    }
}
