/// A bounds-checked little-endian cursor over bytes: every read past the end throws
/// `WeightImportError.truncated` instead of trapping, so hostile offsets cannot crash a reader.
struct ByteReader {
    /// The bytes read; positions are offsets into it.
    let bytes: UnsafeRawBufferPointer
    /// The file named in errors.
    let path: String
    /// The next byte to read.
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, path: String, at position: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.position = position
    }

    /// Bytes left after `position`.
    var remaining: Int { max(bytes.count - position, 0) }

    /// Checks that `count` bytes from `position` are inside the buffer.
    /// - Throws: `.truncated`, naming `what`.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws(WeightImportError) {
        guard count >= 0, position >= 0, position <= bytes.count, count <= bytes.count - position else {
            throw .truncated(path: path, what: what())
        }
    }

    /// The next `width` bytes (at most 8) as an unsigned little-endian integer.
    mutating func uint(_ width: Int, _ what: @autoclosure () -> String = "an integer") throws(WeightImportError) -> UInt64 {
        precondition(width >= 0 && width <= 8)
        try require(width, what())
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[position + i]) << (8 * i) }
        position += width
        return value
    }

    mutating func u8(_ what: @autoclosure () -> String = "a byte") throws(WeightImportError) -> Int {
        Int(try uint(1, what()))
    }

    mutating func u16(_ what: @autoclosure () -> String = "an integer") throws(WeightImportError) -> Int {
        Int(try uint(2, what()))
    }

    mutating func u32(_ what: @autoclosure () -> String = "an integer") throws(WeightImportError) -> Int {
        Int(try uint(4, what()))
    }

    /// A `width`-byte size or offset that must fit an `Int` (all-ones, HDF5's "undefined", is -1).
    mutating func offset(_ width: Int, _ what: @autoclosure () -> String = "an offset") throws(WeightImportError) -> Int {
        let value = try uint(width, what())
        if width == 8, value == .max { return -1 }
        if width < 8, value == (1 << (8 * UInt64(width))) - 1 { return -1 }
        guard value <= UInt64(Int.max) else { throw .malformed(path: path, reason: "\(what()) is out of range") }
        return Int(value)
    }

    /// The next `count` bytes.
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String = "data") throws(WeightImportError) -> UnsafeRawBufferPointer {
        try require(count, what())
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Skips `count` bytes.
    mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "data") throws(WeightImportError) {
        try require(count, what())
        position += count
    }

    /// Whether the next bytes are `signature` (consumed when they are).
    mutating func expect(_ signature: String, _ what: @autoclosure () -> String) throws(WeightImportError) {
        let expected = Array(signature.utf8)
        let got = try bytes(expected.count, what())
        guard got.elementsEqual(expected) else { throw .malformed(path: path, reason: "\(what()) has no \(signature) signature") }
    }

    /// A reader at `offset` in the same bytes.
    func at(_ offset: Int) -> ByteReader { ByteReader(bytes, path: path, at: offset) }
}
