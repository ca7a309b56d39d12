import Evaluation
import Testing

/// Confusion-matrix metrics and log-loss against values worked out by hand.
@Suite("Classification metrics")
struct MetricsTests {
    // Three classes, ten images:
    //   true 0: predicted 0, 1, 0, 2    true 1: predicted 1, 2    true 2: predicted 2, 2, 0, 2
    let labels = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0]
    let predictions = [0, 1, 0, 1, 2, 2, 2, 0, 2, 2]

    @Test("Confusion matrix, support, predicted counts and accuracy")
    func confusionMatrix() {
        let matrix = ConfusionMatrix(classCount: 3, labels: labels, predictions: predictions)
        #expect(matrix.counts == [[2, 1, 1], [0, 1, 1], [1, 0, 3]])
        #expect(matrix.support == [4, 2, 4])
        #expect(matrix.predicted == [3, 2, 5])
        #expect(matrix.total == 10 && matrix.correct == 6)
        #expect(matrix.accuracy == 0.6)
    }

    @Test("Precision, recall, F1 per class and macro-F1")
    func perClass() throws {
        let matrix = ConfusionMatrix(classCount: 3, labels: labels, predictions: predictions)
        // Precision: 2/3, 1/2, 3/5. Recall: 2/4, 1/2, 3/4. F1 = 2PR/(P+R): 4/7, 1/2, 2/3.
        let expectedPrecision: [Double] = [2.0 / 3, 0.5, 0.6]
        let expectedRecall: [Double] = [0.5, 0.5, 0.75]
        let expectedF1: [Double] = [4.0 / 7, 0.5, 2.0 / 3]
        for c in 0..<3 {
            #expect(try abs(#require(matrix.precision(c)) - expectedPrecision[c]) < 1e-12)
            #expect(try abs(#require(matrix.recall(c)) - expectedRecall[c]) < 1e-12)
            #expect(try abs(#require(matrix.f1(c)) - expectedF1[c]) < 1e-12)
        }
        let macroF1: Double = (4.0 / 7 + 0.5 + 2.0 / 3) / 3
        #expect(try abs(#require(matrix.macroF1) - macroF1) < 1e-12)
    }

    @Test("Undefined ratios are nil and macro-F1 averages only the classes that occur or are predicted")
    func undefinedRatios() {
        // Class 1 occurs but is never predicted; class 2 neither occurs nor is predicted.
        let matrix = ConfusionMatrix(classCount: 3, labels: [0, 0, 1], predictions: [0, 0, 0])
        #expect(matrix.precision(0) == 2.0 / 3 && matrix.recall(0) == 1 && matrix.f1(0) == 0.8)
        #expect(matrix.precision(1) == nil && matrix.recall(1) == 0 && matrix.f1(1) == 0)
        #expect(matrix.precision(2) == nil && matrix.recall(2) == nil && matrix.f1(2) == nil)
        #expect(matrix.macroF1 == 0.4)  // (0.8 + 0) / 2, as scikit-learn's f1_score(average="macro")
        #expect(ConfusionMatrix(classCount: 2).accuracy == nil && ConfusionMatrix(classCount: 2).macroF1 == nil)
    }

    @Test("ClassificationMetrics reports each class's figures under its own name, in order")
    func classificationMetrics() {
        let metrics = ClassificationMetrics(
            classNames: ["a", "b", "c"], labels: labels, predictions: predictions, bootstrap: Bootstrap(resamples: 0))
        #expect(metrics.classes.map(\.name) == ["a", "b", "c"])
        #expect(metrics.classes.map(\.support) == [4, 2, 4] && metrics.classes.map(\.predicted) == [3, 2, 5])
        #expect(metrics.classes.map(\.precision.value) == [2.0 / 3, 0.5, 0.6])
        #expect(metrics.classes.map(\.recall.value) == [0.5, 0.5, 0.75])
        #expect(metrics.accuracy == Estimate(value: 0.6))
        #expect(metrics.confusionMatrix == [[2, 1, 1], [0, 1, 1], [1, 0, 3]])
    }

    @Test("argmax takes the first of equal maxima")
    func argmaxTies() {
        #expect(argmax([0.1, 0.7, 0.2]) == 1)
        #expect(argmax([0.4, 0.4, 0.2]) == 0)
    }

    @Test("Log-loss is the mean negative log-probability of the true class, clipped at 1e-15")
    func logLossByHand() {
        let probabilities: [[Float]] = [[0.5, 0.5], [0.9, 0.1], [0.25, 0.75]]
        // -(ln 0.5 + ln 0.1 + ln 0.75) / 3 = (0.693147 + 2.302585 + 0.287682) / 3
        #expect(abs(logLoss(probabilities: probabilities, labels: [0, 1, 1]) - 1.094471) < 1e-6)
        #expect(abs(logLoss(probabilities: [[1, 0]], labels: [1]) - 34.538776) < 1e-5)  // -ln(1e-15)
        #expect(logLoss(probabilities: [[1, 0]], labels: [0]) == 0)
    }
}
