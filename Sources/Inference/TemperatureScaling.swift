import Foundation

/// Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017): a
/// model's logits are divided by one temperature `T` fitted on held-out data, which makes its
/// probabilities match how often it is right without changing which class it picks.
///
/// ECGLens networks end in a softmax, so scaling works on probabilities: `log p` is the logits
/// minus a per-row constant, and the softmax ignores that constant, so `softmax(log p / T)` is
/// exactly `softmax(logits / T)`.
public enum TemperatureScaling {
    /// The temperatures `fit` searches between.
    public static let range: ClosedRange<Double> = 0.05...20

    /// `probabilities` rescaled by `temperature`: each `p^(1/T)`, renormalised. T > 1 softens,
    /// T < 1 sharpens, T = 1 changes nothing.
    public static func apply(_ probabilities: [Float], temperature: Double) -> [Float] {
        guard temperature != 1, !probabilities.isEmpty else { return probabilities }
        let logits = probabilities.map { log(max(Double($0), 1e-30)) / temperature }
        let top = logits.max()!
        let exps = logits.map { exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { Float($0 / sum) }
    }

    /// The mean negative log-likelihood of `labels` under `probabilities` scaled by `temperature`.
    public static func negativeLogLikelihood(probabilities: [[Float]], labels: [Int], temperature: Double) -> Double {
        precondition(probabilities.count == labels.count, "one label per probability row")
        guard !labels.isEmpty else { return 0 }
        var total = 0.0
        for (row, label) in zip(probabilities, labels) {
            let logits = row.map { log(max(Double($0), 1e-30)) / temperature }
            let top = logits.max()!
            let logSum = top + log(logits.reduce(0) { $0 + exp($1 - top) })
            total += logSum - logits[label]
        }
        return total / Double(labels.count)
    }

    /// The temperature in ``range`` that minimises the negative log-likelihood of `labels`.
    ///
    /// The loss is convex in `1/T`, so a golden-section search over `1/T` finds the minimum.
    /// - Parameter probabilities: Uncalibrated probability rows (temperature 1).
    public static func fit(probabilities: [[Float]], labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 1 }
        let loss = { (beta: Double) in negativeLogLikelihood(probabilities: probabilities, labels: labels, temperature: 1 / beta) }
        let ratio = (sqrt(5.0) - 1) / 2
        var (low, high) = (1 / range.upperBound, 1 / range.lowerBound)
        var a = high - ratio * (high - low), b = low + ratio * (high - low)
        var (lossA, lossB) = (loss(a), loss(b))
        for _ in 0..<80 where high - low > 1e-6 {
            if lossA < lossB {
                (high, b, lossB) = (b, a, lossA)
                a = high - ratio * (high - low)
                lossA = loss(a)
            } else {
                (low, a, lossA) = (a, b, lossB)
                b = low + ratio * (high - low)
                lossB = loss(b)
            }
        }
        return 1 / ((low + high) / 2)
    }

    /// The threshold on the calibrated top probability below which answers are called uncertain.
    ///
    /// The smallest of 0.30, 0.35, …, 0.95 at which the answers kept as confident (top probability
    /// at or above it, and not close to the runner-up) are right at least `targetAccuracy` of the
    /// time; when none reaches it, the one whose confident answers are most often right.
    /// - Parameter probabilities: Calibrated probability rows of held-out images.
    public static func uncertainThreshold(probabilities: [[Float]], labels: [Int], targetAccuracy: Double = 0.9) -> Double {
        precondition(probabilities.count == labels.count, "one label per probability row")
        let candidates = stride(from: 0.30, through: 0.951, by: 0.05).map { ($0 * 100).rounded() / 100 }
        var best = (threshold: candidates.last!, accuracy: -1.0)
        for threshold in candidates {
            let kept = zip(probabilities, labels).filter { row, _ in
                Prediction.confidence(of: row, uncertainBelow: threshold) == .high
            }
            guard !kept.isEmpty else { continue }
            let accuracy = Double(kept.filter { row, label in row.indices.max { row[$0] < row[$1] } == label }.count) / Double(kept.count)
            if accuracy >= targetAccuracy { return threshold }
            if accuracy > best.accuracy { best = (threshold, accuracy) }
        }
        return best.threshold
    }
}

/// Whether an answer is confident enough to show as an answer, or uncertain.
public enum AnswerConfidence: String, Sendable, Codable {
    case high
    /// The top probability is below the model's threshold, or the top two classes are close.
    case low
}

extension Prediction {
    /// Top-two probabilities closer than this make an answer uncertain, calibrated or not.
    public static let closeMargin: Float = 0.1

    /// `.low` when the top probability is below `uncertainBelow` (the model's calibrated
    /// threshold; nil for an uncalibrated model) or within ``closeMargin`` of the second.
    public static func confidence(of probabilities: [Float], uncertainBelow: Double?) -> AnswerConfidence {
        let sorted = probabilities.sorted(by: >)
        guard let top = sorted.first else { return .low }
        if let uncertainBelow, Double(top) < uncertainBelow { return .low }
        if sorted.count > 1, top - sorted[1] < closeMargin { return .low }
        return .high
    }

    /// This prediction's confidence under the model's threshold.
    public func confidence(uncertainBelow: Double?) -> AnswerConfidence {
        Self.confidence(of: probabilities, uncertainBelow: uncertainBelow)
    }

    /// The two most probable classes, most probable first.
    public var leadingClasses: [String] {
        Array(probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(2).map { classes[$0] })
    }
}
