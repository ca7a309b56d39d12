/// Counts of (true class, predicted class) pairs, and the classification metrics read from them.
///
/// Undefined ratios are nil rather than 0: precision when a class is never predicted, recall
/// when it never occurs, F1 when it neither occurs nor is predicted. Macro-F1 averages F1 over
/// the classes where it is defined, the classes that occur or are predicted (scikit-learn's
/// `f1_score(average="macro")` on the labels present).
public struct ConfusionMatrix: Equatable, Sendable {
    /// `counts[t][p]`: how many images of true class `t` were predicted as class `p`.
    public private(set) var counts: [[Int]]

    /// An all-zero matrix for `classCount` classes.
    public init(classCount: Int) {
        precondition(classCount > 0, "a confusion matrix needs at least one class")
        counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    }

    /// The matrix of `labels` against `predictions` (class indices, one pair per image).
    public init(classCount: Int, labels: [Int], predictions: [Int]) {
        precondition(labels.count == predictions.count, "one prediction per label")
        self.init(classCount: classCount)
        for (label, prediction) in zip(labels, predictions) { add(label: label, prediction: prediction) }
    }

    /// Counts one image.
    public mutating func add(label: Int, prediction: Int, count: Int = 1) {
        counts[label][prediction] += count
    }

    public var classCount: Int { counts.count }
    /// How many images in all.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Images of each true class (each row's sum).
    public var support: [Int] { counts.map { $0.reduce(0, +) } }
    /// Images predicted as each class (each column's sum).
    public var predicted: [Int] { (0..<classCount).map { column in counts.reduce(0) { $0 + $1[column] } } }
    /// Correct predictions (the diagonal).
    public var correct: Int { (0..<classCount).reduce(0) { $0 + counts[$1][$1] } }

    /// The fraction of images classified correctly; nil for an empty matrix.
    public var accuracy: Double? { total == 0 ? nil : Double(correct) / Double(total) }

    /// `tp / (tp + fp)` for class `c`; nil when nothing was predicted as `c`.
    public func precision(_ c: Int) -> Double? { ratio(counts[c][c], predicted[c]) }

    /// `tp / (tp + fn)` for class `c`; nil when `c` does not occur.
    public func recall(_ c: Int) -> Double? { ratio(counts[c][c], support[c]) }

    /// `2 tp / (2 tp + fp + fn)` for class `c` (the harmonic mean of precision and recall, and 0
    /// when one of them is undefined and the other 0); nil when `c` neither occurs nor is predicted.
    public func f1(_ c: Int) -> Double? {
        let truePositives = counts[c][c]
        return ratio(2 * truePositives, support[c] + predicted[c])
    }

    /// The unweighted mean of the defined per-class F1 scores; nil for an empty matrix.
    public var macroF1: Double? {
        let scores = (0..<classCount).compactMap(f1)
        return scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
    }

    private func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }
}

/// The index of the largest value (the first one on ties): a prediction's class.
public func argmax(_ values: [Float]) -> Int {
    precondition(!values.isEmpty, "argmax of nothing")
    var best = 0
    for index in values.indices where values[index] > values[best] { best = index }
    return best
}
