/// Precision, recall, F1 and support of one class, with bootstrap intervals.
public struct ClassMetrics: Codable, Equatable, Sendable {
    public var name: String
    public var precision: Estimate
    public var recall: Estimate
    public var f1: Estimate
    /// Images of this class in the data.
    public var support: Int
    /// Images predicted as this class.
    public var predicted: Int
}

/// Accuracy, macro-F1, per-class metrics and the confusion matrix of a set of predictions, each
/// ratio with its percentile-bootstrap interval.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var accuracy: Estimate
    public var macroF1: Estimate
    public var classes: [ClassMetrics]
    /// `confusionMatrix[t][p]`: images of true class `t` predicted as `p`.
    public var confusionMatrix: [[Int]]

    enum CodingKeys: String, CodingKey {
        case accuracy, classes
        case macroF1 = "macro_f1", confusionMatrix = "confusion_matrix"
    }

    /// Measures `predictions` against `labels` (class indices into `classNames`).
    public init(classNames: [String], labels: [Int], predictions: [Int], bootstrap: Bootstrap) {
        let classCount = classNames.count
        let matrix = ConfusionMatrix(classCount: classCount, labels: labels, predictions: predictions)
        // Statistics in a fixed order: accuracy, macro-F1, then precision, recall, F1 per class.
        func statistics(_ matrix: ConfusionMatrix) -> [Double?] {
            [matrix.accuracy, matrix.macroF1]
                + (0..<classCount).flatMap { [matrix.precision($0), matrix.recall($0), matrix.f1($0)] }
        }
        let values = statistics(matrix)
        let bounds = bootstrap.intervals(
            classCount: classCount, labels: labels, predictions: predictions, statistics: statistics)
        func estimate(_ index: Int) -> Estimate {
            Estimate(value: values[index], lower: bounds[index]?.lower, upper: bounds[index]?.upper)
        }
        accuracy = estimate(0)
        macroF1 = estimate(1)
        let support = matrix.support, predicted = matrix.predicted
        classes = classNames.enumerated().map { c, name in
            ClassMetrics(name: name, precision: estimate(2 + 3 * c), recall: estimate(3 + 3 * c),
                         f1: estimate(4 + 3 * c), support: support[c], predicted: predicted[c])
        }
        confusionMatrix = matrix.counts
    }
}
