import Datasets
import Foundation

/// The JSON-lines training log: one `EpochRecord` per line, flushed as each epoch ends, so a
/// run that stops early or crashes still leaves its curves behind.
public final class TrainingLog {
    public let url: URL
    private let handle: FileHandle

    /// Creates (or empties) the log file.
    /// - Throws: `CocoaError` when the file cannot be created.
    public init(url: URL) throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
    }

    deinit { try? handle.close() }

    /// Appends one record as a line.
    public func append(_ record: EpochRecord) throws {
        try handle.write(contentsOf: Data((record.jsonLine + "\n").utf8))
    }
}

extension ImageFolder {
    /// A fingerprint of the data set's content listing (class and file name of every image), so a
    /// model's provenance pins the exact split it was trained on: FNV-1a 64 in hex.
    public var listingFingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for file in files {
            for byte in "\(classes[file.label])/\(file.url.lastPathComponent)\n".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        return String(hash, radix: 16)
    }
}
