import Foundation

/// One bin of a reliability diagram: the images whose confidence (top probability) fell in
/// `(lower, upper]` (the first bin also takes confidence 0).
public struct ReliabilityBin: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    /// Images in the bin.
    public var count: Int
    /// Their mean confidence; nil for an empty bin.
    public var meanConfidence: Double?
    /// The fraction of them classified correctly; nil for an empty bin.
    public var accuracy: Double?

    enum CodingKeys: String, CodingKey {
        case lower, upper, count, accuracy
        case meanConfidence = "mean_confidence"
    }
}

/// How well a model's confidence matches how often it is right.
///
/// See: Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, section 2.
public struct Calibration: Codable, Equatable, Sendable {
    /// Expected calibration error: `sum over bins of (count / N) * |accuracy - mean confidence|`.
    public var expectedCalibrationError: Double
    /// The reliability diagram's equal-width bins over [0, 1].
    public var bins: [ReliabilityBin]

    enum CodingKeys: String, CodingKey {
        case bins
        case expectedCalibrationError = "expected_calibration_error"
    }

    /// Bins the top probability of each image into `binCount` equal-width bins.
    /// - Parameters:
    ///   - confidences: Each image's top probability, in [0, 1].
    ///   - correct: Whether each image's top class was its true class.
    public init(confidences: [Double], correct: [Bool], binCount: Int = 10) {
        precondition(binCount > 0, "ECE needs at least one bin")
        precondition(confidences.count == correct.count, "one correctness per confidence")
        var counts = Array(repeating: 0, count: binCount), hits = counts
        var confidenceSums = Array(repeating: 0.0, count: binCount)
        for (confidence, isCorrect) in zip(confidences, correct) {
            // Bin b holds (b / B, (b + 1) / B]; confidence 0 goes to the first bin.
            let bin = min(max(Int((confidence * Double(binCount)).rounded(.up)) - 1, 0), binCount - 1)
            counts[bin] += 1
            hits[bin] += isCorrect ? 1 : 0
            confidenceSums[bin] += confidence
        }
        let total = Double(max(confidences.count, 1))
        bins = (0..<binCount).map { b in
            let count = counts[b]
            return ReliabilityBin(
                lower: Double(b) / Double(binCount), upper: Double(b + 1) / Double(binCount), count: count,
                meanConfidence: count == 0 ? nil : confidenceSums[b] / Double(count),
                accuracy: count == 0 ? nil : Double(hits[b]) / Double(count))
        }
        expectedCalibrationError = bins.reduce(0) { sum, bin in
            guard let accuracy = bin.accuracy, let confidence = bin.meanConfidence else { return sum }
            return sum + Double(bin.count) / total * abs(accuracy - confidence)
        }
    }

    /// The calibration of class-probability rows against true labels.
    public init(probabilities: [[Float]], labels: [Int], binCount: Int = 10) {
        let predictions = probabilities.map(argmax)
        self.init(confidences: zip(probabilities, predictions).map { Double($0[$1]) },
                  correct: zip(predictions, labels).map { $0 == $1 }, binCount: binCount)
    }
}

/// The mean negative log-probability of the true class (cross-entropy, in nats), with each
/// probability clipped to at least `epsilon` so a confident mistake costs a large but finite loss.
public func logLoss(probabilities: [[Float]], labels: [Int], epsilon: Double = 1e-15) -> Double {
    precondition(probabilities.count == labels.count, "one label per probability row")
    guard !labels.isEmpty else { return 0 }
    let total = zip(probabilities, labels).reduce(0.0) { $0 - log(max(Double($1.0[$1.1]), epsilon)) }
    return total / Double(labels.count)
}
