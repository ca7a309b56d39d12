import Foundation

/// A batch job's output file: read back to resume or merge, and appended to one record at a time.
///
/// Each record is written with its own `write(2)`, so a killed job loses nothing it has written;
/// a line cut short (a full disk, a power loss) is cut off when the file is opened again.
public enum BatchResults {
    /// The records in `path` (none when it does not exist). With `repair`, a last line without
    /// its newline (a torn write) is truncated away first; otherwise it is ignored.
    ///
    /// - Throws: ``DatasetError/badManifest(_:reason:)`` naming the file and line when a complete
    ///   line is not a record (the file is not this job's output).
    public static func read(_ path: String, format: BatchFormat, repair: Bool = false) throws(DatasetError) -> [BatchRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard var data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw .badManifest(path, reason: "cannot be read")
        }
        if let last = data.last, last != UInt8(ascii: "\n") {
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            data = data.prefix(keep)
            if repair { try truncate(path, to: keep) }
        }
        let text = String(decoding: data, as: UTF8.self)
        switch format {
        case .jsonl:
            let decoder = JSONDecoder()
            var records: [BatchRecord] = []
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                guard let record = try? decoder.decode(BatchRecord.self, from: Data(line.utf8)) else {
                    throw .badManifest(path, reason: "line \(number + 1) is not a batch result record")
                }
                records.append(record)
            }
            return records
        case .csv:
            guard !text.isEmpty else { return [] }
            let table = try Manifest(csv: text, path: path)
            return try table.rows.enumerated().map { (number, row) throws(DatasetError) in
                guard let record = BatchRecord(csvRow: row, header: table.columns) else {
                    throw .badManifest(path, reason: "row \(number + 2) is not a batch result record")
                }
                return record
            }
        }
    }

    private static func truncate(_ path: String, to length: Int) throws(DatasetError) {
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.truncate(atOffset: UInt64(length))
        } catch {
            throw .cannotWrite(path, reason: "cannot cut off its torn last line: \(error.localizedDescription)")
        }
    }

    /// Merges the records of several outputs (shards, or reruns): one record per file, sorted by
    /// file. A successful record wins over a failed one; among several, the first read wins.
    /// - Returns: the merged records and the files that had more than one successful record.
    public static func merge(_ records: [BatchRecord]) -> (records: [BatchRecord], scoredTwice: [String]) {
        var best: [String: BatchRecord] = [:]
        var twice = Set<String>()
        for record in records {
            guard let kept = best[record.file] else { best[record.file] = record; continue }
            if kept.status == .ok && record.status == .ok { twice.insert(record.file) }
            if kept.status == .error { best[record.file] = record }
        }
        return (best.keys.sorted().map { best[$0]! }, twice.sorted())
    }
}

/// Appends records to a batch output file, one `write(2)` per record.
public final class BatchResultsWriter {
    public let path: String
    public let format: BatchFormat
    /// The CSV columns' classes (unused for JSON lines).
    public let classes: [String]
    private let handle: FileHandle

    /// Opens `path` for appending, creating it (with the CSV header) when it is missing or empty.
    /// - Throws: ``DatasetError/cannotWrite(_:reason:)`` naming the file.
    public init(path: String, format: BatchFormat, classes: [String]) throws(DatasetError) {
        (self.path, self.format, self.classes) = (path, format, classes)
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) && !manager.createFile(atPath: path, contents: nil) {
            throw .cannotWrite(path, reason: "cannot create the file")
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            if try handle.seekToEnd() == 0 && format == .csv {
                try handle.write(contentsOf: Data((BatchRecord.csvHeader(classes: classes).joined(separator: ",") + "\n").utf8))
            }
        } catch {
            throw .cannotWrite(path, reason: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }

    /// Writes one record as one line.
    public func append(_ record: BatchRecord) throws(DatasetError) {
        let line = (format == .csv ? record.csvRow(classes: classes) : record.jsonLine()) + "\n"
        do {
            try handle.write(contentsOf: Data(line.utf8))
        } catch {
            throw .cannotWrite(path, reason: error.localizedDescription)
        }
    }

    /// Asks the system to put what was written on disk (at the end of a run).
    public func synchronize() throws(DatasetError) {
        do { try handle.synchronize() } catch { throw .cannotWrite(path, reason: error.localizedDescription) }
    }
}
