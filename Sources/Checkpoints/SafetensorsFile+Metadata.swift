import Foundation

extension SafetensorsFile {
    /// Replaces the `__metadata__` of the safetensors file at `url`, keeping every tensor's bytes
    /// exactly as they are: only the JSON header changes (its tensor entries keep their dtypes,
    /// shapes and offsets), and the data section is copied verbatim. Used to store a calibration
    /// or a cleaned provenance in committed weights without re-encoding them.
    ///
    /// The new file is written next to the old one and renamed over it.
    /// - Throws: `CheckpointError` when the file is not a valid safetensors file (checked by
    ///   opening it first) or cannot be written.
    public static func replaceMetadata(_ metadata: [String: String], in url: URL) throws(CheckpointError) {
        let path = url.relativePath
        _ = try SafetensorsFile(contentsOf: url, strategy: .read)  // validates the whole file
        guard let bytes = FileManager.default.contents(atPath: url.path), bytes.count >= 8 else {
            throw .unreadable(path: path, reason: "the file changed while it was being read")
        }
        let dataStart = 8 + Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        guard dataStart <= bytes.count else { throw .truncated(path: path, reason: "the file changed while it was being read") }
        guard var header = (try? JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<dataStart))) as? [String: Any] else {
            throw .invalidHeader(path: path, reason: "header is not a JSON object")
        }
        if metadata.isEmpty {
            header.removeValue(forKey: "__metadata__")
        } else {
            header["__metadata__"] = metadata
        }
        guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            throw .writeFailed(path: path, reason: "cannot encode the new header")
        }
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var output = Data(withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init))
        output.append(json)
        output.append(bytes.subdata(in: dataStart..<bytes.count))
        do {
            try output.write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
