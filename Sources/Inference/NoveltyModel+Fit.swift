import Foundation

/// Fitting a ``NoveltyModel``: class means, a shrunk shared covariance, and the threshold.
extension NoveltyModel {
    /// Class means and the shared within-class covariance of training features.
    public struct Estimate: Sendable {
        /// One mean per class.
        public let means: [[Double]]
        /// The shrunk covariance, row-major `dimension x dimension`.
        public let covariance: [Double]
        /// The Ledoit-Wolf shrinkage intensity, in 0...1.
        public let shrinkage: Double
        /// Images per class.
        public let counts: [Int]
    }

    /// Estimates class means and their shared covariance from `features` (one row per image, all
    /// the same length) with class indices `labels`.
    ///
    /// The covariance is that of the residuals `x − μ_label` (divided by n), shrunk towards a
    /// multiple of the identity by the Ledoit-Wolf intensity: exactly scikit-learn's
    /// `LedoitWolf(assume_centered=True).fit(residuals)`, which `tools/reference/novelty_reference.py`
    /// computes for the tests. Shrinkage keeps Σ invertible when features outnumber images or a
    /// ReLU feature never fires.
    /// - Throws: ``NoveltyModelError/invalid(_:)`` for ragged rows, a class without images, or features that never vary.
    public static func estimate(features: [[Float]], labels: [Int], classCount: Int) throws(NoveltyModelError) -> Estimate {
        let n = features.count, d = features.first?.count ?? 0
        guard n >= 2, d > 0, labels.count == n, features.allSatisfy({ $0.count == d }) else {
            throw .invalid("need at least 2 feature rows of one length, one label each (\(n) rows, \(labels.count) labels)")
        }
        guard labels.allSatisfy({ (0..<classCount).contains($0) }) else { throw .invalid("a label is not a class index") }
        var counts = [Int](repeating: 0, count: classCount)
        var means = [[Double]](repeating: [Double](repeating: 0, count: d), count: classCount)
        for (row, label) in zip(features, labels) {
            counts[label] += 1
            for i in 0..<d { means[label][i] += Double(row[i]) }
        }
        if let empty = counts.firstIndex(of: 0) { throw .invalid("class \(empty) has no images") }
        for c in 0..<classCount { means[c] = means[c].map { $0 / Double(counts[c]) } }

        let residuals = zip(features, labels).map { row, label in (0..<d).map { Double(row[$0]) - means[label][$0] } }
        // Empirical covariance S = RᵀR / n, and Σ_k (RᵀR)²_ij, Σ_k x_ki² x_kj² for the shrinkage.
        var s = [Double](repeating: 0, count: d * d), squares = [Double](repeating: 0, count: d * d)
        for r in residuals {
            for i in 0..<d where r[i] != 0 {
                for j in 0..<d {
                    s[i * d + j] += r[i] * r[j]
                    squares[i * d + j] += r[i] * r[i] * r[j] * r[j]
                }
            }
        }
        let nn = Double(n), dd = Double(d)
        s = s.map { $0 / nn }
        let mu = (0..<d).reduce(0) { $0 + s[$1 * d + $1] } / dd
        guard mu > 0 else { throw .invalid("the features never vary within a class") }
        // Ledoit & Wolf (2004), as scikit-learn's ledoit_wolf_shrinkage writes it.
        let beta0 = squares.reduce(0, +)
        let delta0 = s.reduce(0) { $0 + $1 * $1 }            // Σ (RᵀR/n)²
        var beta = (beta0 / nn - delta0) / (dd * nn)
        let delta = (delta0 - 2 * mu * mu * dd + dd * mu * mu) / dd
        beta = min(beta, delta)
        let shrinkage = beta == 0 ? 0 : beta / delta
        var covariance = s.map { (1 - shrinkage) * $0 }
        for i in 0..<d { covariance[i * d + i] += shrinkage * mu }
        return Estimate(means: means, covariance: covariance, shrinkage: shrinkage, counts: counts)
    }

    /// The novelty model of `estimate`: its means, and `W = L⁻¹` of the Cholesky factor of its covariance.
    /// - Throws: ``NoveltyModelError/invalid(_:)`` when the covariance is not positive definite.
    public init(estimate: Estimate, classes: [String], featureLayer: String, threshold: Double,
                facts: [String: String] = [:]) throws(NoveltyModelError) {
        let whitening = try Self.inverseCholesky(estimate.covariance, dimension: estimate.means.first?.count ?? 0)
        try self.init(classes: classes, featureLayer: featureLayer, means: estimate.means.map { $0.map(Float.init) },
                      whitening: whitening.map(Float.init), threshold: threshold, facts: facts)
    }

    /// `L⁻¹` (lower triangular, row-major) where `a = L Lᵀ`.
    static func inverseCholesky(_ a: [Double], dimension d: Int) throws(NoveltyModelError) -> [Double] {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = a[i * d + j]
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard sum > 0 else { throw .invalid("the covariance is not positive definite") }
                    l[i * d + i] = sum.squareRoot()
                } else {
                    l[i * d + j] = sum / l[j * d + j]
                }
            }
        }
        // Forward substitution, one column of the inverse at a time.
        var inverse = [Double](repeating: 0, count: d * d)
        for col in 0..<d {
            for row in col..<d {
                var sum = row == col ? 1.0 : 0.0
                for k in col..<row { sum -= l[row * d + k] * inverse[k * d + col] }
                inverse[row * d + col] = sum / l[row * d + row]
            }
        }
        return inverse
    }

    /// The smallest threshold that at least `fraction` of `distances` lie at or below: the
    /// ⌈fraction · n⌉-th smallest distance.
    /// - Precondition: `distances` is not empty and `fraction` is in (0, 1].
    public static func threshold(passing fraction: Double, of distances: [Double]) -> Double {
        precondition(!distances.isEmpty && fraction > 0 && fraction <= 1, "need distances and a fraction in (0, 1]")
        let sorted = distances.sorted()
        let rank = min(sorted.count, max(1, Int((fraction * Double(sorted.count)).rounded(.up))))
        return sorted[rank - 1]
    }
}
