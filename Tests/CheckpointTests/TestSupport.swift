import Foundation
@testable import Checkpoints

/// A fresh directory under the system's temporary directory, deleted with the object.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("CheckpointTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The URL of `name` inside the directory.
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `bytes` to `name`, overwriting it in place: no `SafetensorsFile` may still map it.
    ///
    /// Overwriting then truncating avoids the flush that some file systems (ext4) force when a
    /// file is truncated to zero and rewritten, which made writing thousands of files slow.
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let url = file(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: bytes)
        try handle.truncate(atOffset: UInt64(bytes.count))
        try handle.close()
        return url
    }

    /// The names of the files in the directory.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// A safetensors file built by hand: the header length (`declaredLength`, or the header's real
/// length), the header text, then `data`.
func safetensorsBytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = declaredLength ?? UInt64(json.count)
    return withUnsafeBytes(of: length.littleEndian, Array.init) + json + data
}

/// The little-endian bytes of `values`.
func bytes(of values: [Float]) -> [UInt8] {
    values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
}

/// The error opening `url` throws, or `nil` if it opens.
func openError(_ url: URL, strategy: FileBytes.Strategy = .memoryMap) -> CheckpointError? {
    do {
        _ = try SafetensorsFile(contentsOf: url, strategy: strategy)
        return nil
    } catch {
        return error
    }
}

