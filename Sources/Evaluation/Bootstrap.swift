import Determinism

/// A point estimate with its confidence interval; any part is nil where undefined (see
/// `ConfusionMatrix`), and the bounds are nil when no interval was computed.
public struct Estimate: Codable, Equatable, Sendable {
    public var value: Double?
    public var lower: Double?
    public var upper: Double?

    public init(value: Double?, lower: Double? = nil, upper: Double? = nil) {
        self.value = value
        self.lower = lower
        self.upper = upper
    }
}

/// The percentile bootstrap (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13):
/// draw as many images as there are, with replacement, recompute the statistics, repeat, and
/// take the middle `confidence` of the recomputed values as the interval.
///
/// NOTE: resampling images treats them as independent draws, so copies of one picture must count
/// once (`EvaluationReport` does that by default); counted separately, they make the intervals too
/// narrow.
public struct Bootstrap: Codable, Sendable, Equatable {
    /// How many resamples to draw.
    public var resamples: Int
    /// The seed of the random generator, so the same data give the same intervals.
    public var seed: UInt64
    /// The interval's coverage, 0.95 for a 95 % interval.
    public var confidence: Double

    public init(resamples: Int = 1000, seed: UInt64 = 0, confidence: Double = 0.95) {
        precondition(resamples >= 0, "resamples must not be negative")
        precondition(confidence > 0 && confidence < 1, "confidence must be in (0, 1)")
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
    }

    /// The interval of each statistic that `statistics` reads from a confusion matrix.
    ///
    /// - Parameters:
    ///   - labels: The true class of each image.
    ///   - predictions: The predicted class of each image.
    ///   - statistics: The statistics of one (resampled) confusion matrix; nil where undefined.
    /// - Returns: One `(lower, upper)` per statistic, over the resamples where it is defined;
    ///   nil where it never is or `resamples` is 0.
    public func intervals(
        classCount: Int, labels: [Int], predictions: [Int], statistics: (ConfusionMatrix) -> [Double?]
    ) -> [(lower: Double, upper: Double)?] {
        precondition(labels.count == predictions.count, "one prediction per label")
        let count = statistics(ConfusionMatrix(classCount: classCount)).count
        guard resamples > 0, !labels.isEmpty else { return Array(repeating: nil, count: count) }
        var generator = SplitMix64(seed: seed)
        var replicates = Array(repeating: [Double](), count: count)
        for _ in 0..<resamples {
            var matrix = ConfusionMatrix(classCount: classCount)
            for _ in labels.indices {
                let image = Int(generator.next(upperBound: UInt64(labels.count)))
                matrix.add(label: labels[image], prediction: predictions[image])
            }
            for (index, value) in statistics(matrix).enumerated() {
                if let value { replicates[index].append(value) }
            }
        }
        let tail = (1 - confidence) / 2
        return replicates.map { values in
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            return (quantile(sorted, tail), quantile(sorted, 1 - tail))
        }
    }
}

/// The `q`-quantile of sorted values, interpolating linearly between neighbours (NumPy's default).
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    precondition(!sorted.isEmpty && (0...1).contains(q))
    let position = q * Double(sorted.count - 1)
    let below = Int(position.rounded(.down)), above = Int(position.rounded(.up))
    return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
}
