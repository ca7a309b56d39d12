@testable import Evaluation
import Testing

/// The percentile bootstrap's intervals.
@Suite("Bootstrap confidence intervals")
struct BootstrapTests {
    /// `count` images, 80 % of them classified correctly (two classes).
    private func eightyPercent(count: Int) -> (labels: [Int], predictions: [Int]) {
        let labels = (0..<count).map { $0 % 2 }
        let predictions = labels.enumerated().map { index, label in index % 5 == 0 ? 1 - label : label }
        return (labels, predictions)
    }

    private func accuracyInterval(count: Int, bootstrap: Bootstrap) throws -> (lower: Double, upper: Double) {
        let (labels, predictions) = eightyPercent(count: count)
        return try #require(bootstrap.intervals(classCount: 2, labels: labels, predictions: predictions) { [$0.accuracy] }[0])
    }

    @Test("The interval contains the point estimate and narrows with more data")
    func narrows() throws {
        let small = try accuracyInterval(count: 50, bootstrap: Bootstrap())
        let large = try accuracyInterval(count: 1000, bootstrap: Bootstrap())
        for interval in [small, large] { #expect(interval.lower < 0.8 && 0.8 < interval.upper) }
        // The width shrinks like 1/sqrt(n): sqrt(1000 / 50) = 4.5 times narrower, give or take.
        #expect((large.upper - large.lower) * 3 < small.upper - small.lower)
        // Normal approximation for n = 50: 0.8 +- 1.96 sqrt(0.8 * 0.2 / 50) = 0.8 +- 0.11.
        #expect(abs((small.upper - small.lower) - 0.22) < 0.05)
    }

    @Test("The same seed gives the same interval; another seed a slightly different one")
    func seeded() throws {
        let first = try accuracyInterval(count: 200, bootstrap: Bootstrap(seed: 1))
        let again = try accuracyInterval(count: 200, bootstrap: Bootstrap(seed: 1))
        let other = try accuracyInterval(count: 200, bootstrap: Bootstrap(resamples: 200, seed: 2))
        #expect(first == again)
        #expect(abs(first.lower - other.lower) < 0.03 && abs(first.upper - other.upper) < 0.03)
    }

    @Test("A statistic undefined in every resample, or no resamples at all, gives no interval")
    func undefined() {
        let (labels, predictions) = eightyPercent(count: 20)
        let intervals = Bootstrap(resamples: 50).intervals(classCount: 3, labels: labels, predictions: predictions) {
            [$0.recall(2), $0.accuracy]
        }
        #expect(intervals[0] == nil && intervals[1] != nil)
        let none = Bootstrap(resamples: 0).intervals(classCount: 2, labels: labels, predictions: predictions) { [$0.accuracy] }
        #expect(none[0] == nil)
    }

    @Test("Quantiles interpolate linearly between neighbours")
    func quantiles() {
        #expect(quantile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(quantile([1, 2, 3, 4], 0.25) == 1.75)
        #expect(quantile([1, 2, 3, 4], 0) == 1 && quantile([1, 2, 3, 4], 1) == 4)
        #expect(quantile([7], 0.975) == 7)
    }
}
