import Foundation

// The training log sits here, below both Training (which writes it) and Evaluation (which reads
// it to draw the curves), so neither has to import the other.

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

/// Why a training log could not be read.
public struct TrainingLogError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
}

/// Reads the trainer's JSON-lines log (`ecg train`'s `EpochRecord`s, one object per line; blank
/// lines are skipped, unknown keys ignored, `"nan"` and `"inf"` losses accepted).
/// - Throws: `TrainingLogError` naming the file, and the line when one is not an epoch record.
public func readTrainingLog(_ url: URL) throws(TrainingLogError) -> [EpochRecord] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw TrainingLogError(description: "\(url.path): cannot read the training log")
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    var records: [EpochRecord] = []
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    for (number, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
        do {
            records.append(try decoder.decode(EpochRecord.self, from: Data(line.utf8)))
        } catch {
            throw TrainingLogError(description: "\(url.path):\(number + 1): not an epoch record of `ecg train`'s log")
        }
    }
    guard !records.isEmpty else { throw TrainingLogError(description: "\(url.path): the training log is empty") }
    return records
}
