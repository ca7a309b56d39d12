import Determinism
import Foundation
import Tensors
import Testing
@testable import Training

@Suite("Linear heads on cached features")
struct LogisticRegressionTests {
    /// `tools/reference/logistic_regression_reference.py`'s problem: 12 rows, 3 features, 3 classes.
    static func referenceProblem() -> (rows: [[Float]], labels: [Int]) {
        let labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
        let rows = labels.enumerated().map { i, label -> [Float] in
            let (x, y) = (Double(i), Double(label))
            return [Float(sin(1.3 * x + y)), Float(cos(0.7 * x) + 0.5 * y), Float(Double((i * 7) % 5) / 5.0 - y * 0.3)]
        }
        return (rows, labels)
    }

    /// Three Gaussian blobs in 20 dimensions, centres 4 apart along the first three axes.
    static func blobs(perClass: Int, seed: UInt64) -> (rows: [[Float]], labels: [Int]) {
        var generator = SplitMix64(seed: seed)
        func normal() -> Float {
            let u = max(Double(generator.next() >> 11) / Double(1 << 53), 1e-12), v = Double(generator.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
        }
        var rows: [[Float]] = [], labels: [Int] = []
        for c in 0..<3 {
            for _ in 0..<perClass {
                var row = (0..<20).map { _ in normal() }
                row[c] += 4
                rows.append(row.map { $0 * 3 + 10 })  // off-centre and scaled: standardisation must cope
                labels.append(c)
            }
        }
        return (rows, labels)
    }

    @Test("matches scikit-learn's multinomial fit with balanced weights (l2 = 1 / (C sum s))")
    func matchesScikitLearn() {
        // From tools/reference/logistic_regression_reference.py (scikit-learn 1.x, lbfgs, tol 1e-12).
        let expectedWeights: [Double] = [-0.0575742015, -0.5803446209, 0.6116484305, -0.1082882939, -0.3727777432,
                                         -0.1391192070, 0.1658624953, 0.9531223641, -0.4725292235]
        let expectedBiases: [Double] = [0.4118010016, 0.4491822621, -0.8609832637]
        let (rows, labels) = Self.referenceProblem()
        let balanced = ClassWeights.balanced(counts: [5, 4, 3])
        let model = LogisticRegression.fit(rows: rows, labels: labels, classCount: 3,
                                           sampleWeights: labels.map { Double(balanced[$0]) }, l2: 0.1, standardize: false,
                                           tolerance: 1e-10)
        #expect(model.converged)
        for (got, want) in zip(model.weights + model.biases, expectedWeights + expectedBiases) {
            #expect(abs(got - want) < 1e-6, "\(model.weights) \(model.biases)")
        }
    }

    @Test("the fit is the objective's minimum: central differences of the objective vanish there")
    func gradientVanishesAtTheFit() {
        // Back to unit scale around the origin: raw features 10 off-centre make a poorly conditioned
        // problem that takes L-BFGS thousands of iterations; 1e-6 is well past what the heads use (1e-5).
        let (scaled, labels) = Self.blobs(perClass: 10, seed: 1)
        let rows = scaled.map { $0.map { ($0 - 10) / 3 } }
        let model = LogisticRegression.fit(rows: rows, labels: labels, classCount: 3, l2: 0.05, standardize: false,
                                           maxIterations: 5000, tolerance: 1e-6)
        #expect(model.converged)
        let parameters = model.weights + model.biases
        let base = LogisticRegression.objective(weights: model.weights, biases: model.biases, rows: rows, labels: labels, l2: 0.05)
        for index in stride(from: 0, to: parameters.count, by: 7) {
            var up = parameters, down = parameters
            up[index] += 1e-5
            down[index] -= 1e-5
            let f = { (p: [Double]) in
                LogisticRegression.objective(weights: Array(p[..<60]), biases: Array(p[60...]), rows: rows, labels: labels, l2: 0.05)
            }
            let slope = (f(up) - f(down)) / 2e-5
            #expect(abs(slope) < 1e-5, "parameter \(index): slope \(slope)")
            #expect(f(up) >= base - 1e-12 && f(down) >= base - 1e-12, "a neighbour is lower")
        }
    }

    @Test("recovers separable classes: every training row right, and held-out blobs nearly all")
    func separable() {
        let train = Self.blobs(perClass: 40, seed: 2), test = Self.blobs(perClass: 100, seed: 3)
        let model = LogisticRegression.fit(rows: train.rows, labels: train.labels, classCount: 3, l2: 0.01)
        let predict = { (row: [Float]) in model.probabilities(row).enumerated().max { $0.element < $1.element }!.offset }
        #expect(zip(train.rows, train.labels).allSatisfy { predict($0) == $1 })
        let correct = zip(test.rows, test.labels).filter { predict($0) == $1 }.count
        #expect(correct >= 285, "\(correct) of 300 held-out rows")
    }

    @Test("a stronger penalty gives smaller weights")
    func penaltyShrinks() {
        let (rows, labels) = Self.blobs(perClass: 20, seed: 4)
        let loose = LogisticRegression.fit(rows: rows, labels: labels, classCount: 3, l2: 0.01)
        let tight = LogisticRegression.fit(rows: rows, labels: labels, classCount: 3, l2: 10)
        let norm = { (m: LogisticRegression) in m.weights.reduce(0) { $0 + $1 * $1 } }
        #expect(norm(tight) < norm(loose) / 10)
    }

    @Test("the two-layer ReLU head computes exactly the linear logits")
    func denseHeadIsExact() throws {
        let (rows, labels) = Self.blobs(perClass: 10, seed: 5)
        let model = LogisticRegression.fit(rows: rows, labels: labels, classCount: 3, l2: 0.1)
        let head = try model.denseHead(hiddenUnits: 8)
        let (k1, b1, k2, b2) = (head.kernel.scalars, head.bias.scalars, head.outputKernel.scalars, head.outputBias.scalars)
        for row in rows.prefix(5) {
            let hidden = (0..<8).map { u in max(0, (0..<20).reduce(b1[u]) { $0 + row[$1] * k1[$1 * 8 + u] }) }
            let output = (0..<3).map { c in (0..<8).reduce(b2[c]) { $0 + hidden[$1] * k2[$1 * 3 + c] } }
            for (got, want) in zip(output, model.logits(row)) { #expect(abs(Double(got) - want) < 1e-3 * max(1, abs(want))) }
        }
    }
}
