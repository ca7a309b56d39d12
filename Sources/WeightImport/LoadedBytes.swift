import Checkpoints

/// Bytes a reader works on: a memory-mapped file, a slice of one (a stored zip member), or a
/// buffer a member was inflated into. Immutable while the object lives.
final class LoadedBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    /// The path named in errors (`archive.keras:model.weights.h5` for a member).
    let path: String
    /// Keeps a mapping alive while a slice of it is in use.
    private let owner: AnyObject?
    private let ownsBuffer: Bool

    /// Maps (or reads) the file at `path`.
    /// - Throws: `WeightImportError.malformed` for a missing or unreadable file.
    init(contentsOf path: String) throws(WeightImportError) {
        let file: FileBytes
        do { file = try FileBytes(path: path, strategy: .memoryMap) } catch {
            throw .malformed(path: path, reason: error.description.replacingOccurrences(of: "\(path): ", with: ""))
        }
        bytes = file.bytes
        self.path = path
        owner = file
        ownsBuffer = false
    }

    /// `range` of `parent`'s bytes, kept alive by this object.
    init(slice range: Range<Int>, of parent: LoadedBytes, path: String) {
        bytes = UnsafeRawBufferPointer(rebasing: parent.bytes[range])
        self.path = path
        owner = parent
        ownsBuffer = false
    }

    /// Takes ownership of `buffer` (allocated with `UnsafeMutableRawBufferPointer.allocate`).
    init(adopting buffer: UnsafeMutableRawBufferPointer, path: String) {
        bytes = UnsafeRawBufferPointer(buffer)
        self.path = path
        owner = nil
        ownsBuffer = true
    }

    deinit {
        if ownsBuffer { bytes.deallocate() }
    }

    /// A reader at `offset`.
    func reader(at offset: Int = 0) -> ByteReader { ByteReader(bytes, path: path, at: offset) }
}
