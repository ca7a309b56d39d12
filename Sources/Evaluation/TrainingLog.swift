import Foundation
import Training

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
