#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The read-only contents of a file: memory-mapped when possible, otherwise read into memory.
///
/// Mapping makes opening a large checkpoint cost nothing until its tensors are read: pages are
/// loaded on first touch. The bytes are immutable for the object's lifetime, which unmaps or
/// frees them on deinit, so sharing it across threads is safe.
public final class FileBytes: @unchecked Sendable {
    /// How the contents are brought into memory.
    public enum Strategy: Sendable {
        /// `mmap` the file, reading it instead if mapping fails.
        case memoryMap
        /// Read the whole file into an allocated buffer.
        case read
    }

    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    /// Whether `bytes` is a memory mapping (as opposed to a buffer the file was read into).
    public let isMemoryMapped: Bool

    /// Opens the file at `path` and maps or reads all of it.
    /// - Parameters:
    ///   - path: The file to open.
    ///   - strategy: Whether to try `mmap` first.
    /// - Throws: `CheckpointError.fileNotFound` or `.unreadable`.
    public init(path: String, strategy: Strategy) throws(CheckpointError) {
        let descriptor: Int32
        do { descriptor = try openRegularFile(path) } catch {
            throw error.code == ENOENT ? .fileNotFound(path: path) : .unreadable(path: path, reason: error.reason)
        }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .unreadable(path: path, reason: errnoDescription(errno))
        }
        let size = Int(status.st_size)

        if strategy == .memoryMap, size > 0,
           let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
           address != UnsafeMutableRawPointer(bitPattern: -1) {
            bytes = UnsafeRawBufferPointer(start: address, count: size)
            isMemoryMapped = true
            return
        }
        bytes = try Self.readAll(descriptor, size: size, path: path)
        isMemoryMapped = false
    }

    deinit {
        if isMemoryMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.deallocate()
        }
    }

    /// Reads up to `size` bytes from the start of `descriptor` into a new buffer.
    /// - Returns: The bytes read; fewer than `size` if the file shrank meanwhile.
    private static func readAll(_ descriptor: Int32, size: Int, path: String) throws(CheckpointError) -> UnsafeRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        var filled = 0
        while filled < size {
            let result = read(descriptor, buffer.baseAddress! + filled, size - filled)
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                let code = errno
                buffer.deallocate()
                throw .unreadable(path: path, reason: errnoDescription(code))
            }
        }
        return UnsafeRawBufferPointer(start: buffer.baseAddress, count: filled)
    }
}

/// Why ``openRegularFile(_:)`` failed: the `errno` value (0 when the file is not a regular
/// file) and its description.
public struct OpenFileError: Error, Sendable {
    public let code: Int32
    public let reason: String
}

/// Opens `path` read-only, refusing anything but a regular file (a FIFO, a device, a folder)
/// without blocking: `open` of a FIFO with no writer would otherwise wait for ever. The file is
/// opened with `O_NONBLOCK`, checked with `fstat`, then switched back to blocking reads.
/// - Returns: The descriptor, which the caller closes.
/// - Throws: ``OpenFileError``.
public func openRegularFile(_ path: String) throws(OpenFileError) -> Int32 {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard descriptor >= 0 else {
        let code = errno
        throw OpenFileError(code: code, reason: errnoDescription(code))
    }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        let code = errno
        close(descriptor)
        throw OpenFileError(code: code, reason: errnoDescription(code))
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
        close(descriptor)
        throw OpenFileError(code: 0, reason: "not a regular file")
    }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    return descriptor
}

/// The system's description of an `errno` value, such as "No such file or directory".
func errnoDescription(_ code: Int32) -> String {
    String(cString: strerror(code))
}
