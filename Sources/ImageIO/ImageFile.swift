#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads image files from disk for decoding, checking before reading the whole file that it is
/// a regular file, that it starts with a JPEG or PNG signature, and that it fits a size limit:
/// a 1 GB file of zeros, a FIFO or a device is refused after reading a few bytes, not after
/// reading (or waiting for) all of it.
public enum ImageFile {
    /// The default largest file ``read(_:maxBytes:)`` accepts: far above any page scan or photo.
    public static let defaultMaxBytes = 100_000_000

    /// The bytes of the JPEG or PNG file at `path`.
    /// - Throws: ``ImageFileError`` for a missing, unreadable, special or oversized file;
    ///   ``ImageDecodingError/empty`` or ``ImageDecodingError/unsupportedFormat`` when its first
    ///   bytes are not a JPEG or PNG signature.
    public static func read(_ path: String, maxBytes: Int = defaultMaxBytes) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO without a writer would otherwise wait for ever.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw ImageFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ImageFileError(path: path, reason: String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ImageFileError(path: path, reason: "not a regular file") }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)

        let head = try readUpTo(8, from: descriptor, path: path)
        guard !head.isEmpty else { throw ImageDecodingError.empty }
        guard head.starts(with: JPEGDecoder.magic) || head.starts(with: PNGDecoder.magic) else {
            throw ImageDecodingError.unsupportedFormat
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw ImageFileError(path: path, reason: "the file is \(size) bytes, more than the limit of \(maxBytes)")
        }
        // Read one byte past the size stat gave, to notice a file that grew meanwhile.
        let rest = try readUpTo(max(size - head.count, 0) + 1, from: descriptor, path: path)
        guard head.count + rest.count <= maxBytes else {
            throw ImageFileError(path: path, reason: "the file grew past the limit of \(maxBytes) bytes while being read")
        }
        return head + rest
    }

    /// Up to `count` bytes from `descriptor`'s current position (fewer at the end of the file).
    private static func readUpTo(_ count: Int, from descriptor: Int32, path: String) throws(ImageFileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress! + filled, count - filled) }
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                throw ImageFileError(path: path, reason: String(cString: strerror(errno)))
            }
        }
        bytes.removeLast(count - filled)
        return bytes
    }
}

/// The C library's `read`, which `ImageFile.read` hides inside the type.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// An image file that could not be read. The description is the reason alone, because callers
/// (such as `ecg predict`) already print the path before it.
public struct ImageFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { reason }
}
