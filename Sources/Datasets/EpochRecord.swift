import Foundation

/// One line of the training log: how an epoch went on one split. Written as JSON lines, one
/// object per epoch and split, which `ecg evaluate` reads to draw the training curves.
public struct EpochRecord: Codable, Equatable, Sendable {
    public enum Split: String, Codable, Sendable { case train, val }

    /// The epoch, counted from 1 across all phases.
    public var epoch: Int
    public var split: Split
    /// The recipe phase (`all`, `head`, `top-blocks`).
    public var phase: String
    /// Mean loss: class-weighted cross-entropy (plus auxiliary loss) in training, plain
    /// cross-entropy in validation.
    public var loss: Float
    public var accuracy: Float
    public var learningRate: Float
    public var imagesPerSecond: Float
    /// Seconds since training started.
    public var elapsedSeconds: Double

    public init(epoch: Int, split: Split, phase: String, loss: Float, accuracy: Float, learningRate: Float,
                imagesPerSecond: Float, elapsedSeconds: Double) {
        self.epoch = epoch
        self.split = split
        self.phase = phase
        self.loss = loss
        self.accuracy = accuracy
        self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond
        self.elapsedSeconds = elapsedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case epoch, split, phase, loss, accuracy
        case learningRate = "learning_rate"
        case imagesPerSecond = "images_per_second"
        case elapsedSeconds = "elapsed_s"
    }

    /// The record as one line of JSON, without the newline.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
