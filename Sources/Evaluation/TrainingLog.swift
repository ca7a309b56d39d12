import Foundation

/// One line of the trainer's JSON-lines log: the figures of one epoch on one split.
public struct TrainingLogEntry: Codable, Equatable, Sendable {
    public var epoch: Int
    /// `train` or `val`.
    public var split: String
    public var loss: Double
    public var accuracy: Double
    public var learningRate: Double?
    public var imagesPerSecond: Double?
    public var elapsedSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, split, loss, accuracy
        case learningRate = "learning_rate", imagesPerSecond = "images_per_second", elapsedSeconds = "elapsed_s"
    }

    public init(epoch: Int, split: String, loss: Double, accuracy: Double) {
        self.epoch = epoch
        self.split = split
        self.loss = loss
        self.accuracy = accuracy
    }
}

/// Why a training log could not be read.
public struct TrainingLogError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
}

/// Reads a JSON-lines training log (one `TrainingLogEntry` object per line; blank lines are
/// skipped, other keys ignored).
/// - Throws: `TrainingLogError` naming the file, and the line when one is not a log entry.
public func readTrainingLog(_ url: URL) throws(TrainingLogError) -> [TrainingLogEntry] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw TrainingLogError(description: "\(url.path): cannot read the training log")
    }
    var entries: [TrainingLogEntry] = []
    for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.trimmingCharacters(in: .whitespaces).isEmpty {
        do {
            entries.append(try JSONDecoder().decode(TrainingLogEntry.self, from: Data(line.utf8)))
        } catch {
            throw TrainingLogError(description: "\(url.path):\(number + 1): not a training log entry (needs epoch, split, loss, accuracy)")
        }
    }
    guard !entries.isEmpty else { throw TrainingLogError(description: "\(url.path): the training log is empty") }
    return entries
}
