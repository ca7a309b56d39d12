import Foundation

/// Multinomial logistic regression with an L2 penalty and per-image weights: the linear head
/// fitted on cached backbone features (`FeatureCache`).
///
/// Fits by minimising, over class weights `W` (`classes x features`) and biases `b`,
///
///     f(W, b) = sum_i s_i * CE_i / sum_i s_i  +  l2 / 2 * |W|^2,   CE_i = -log softmax(W z_i + b)[y_i]
///
/// where `z_i` are the features standardised with the training rows' mean and standard deviation
/// (so one `l2` suits features of any scale), `s_i` the image weights (class-balanced ones give
/// every class the same total weight) and the bias is not penalised. The objective is smooth and
/// strictly convex in `W`, so L-BFGS (Nocedal, "Updating quasi-Newton matrices with limited
/// storage", 1980) with a backtracking line search finds its one minimum. The fitted weights are
/// then folded back onto the raw features, so `logits(_:)` takes features as cached.
///
/// NOTE: scikit-learn's `LogisticRegression(C=...)` minimises `C * sum_i s_i CE_i + |W|^2 / 2`:
/// the same minimiser as `l2 = 1 / (C * sum_i s_i)`.
public struct LogisticRegression: Codable, Equatable, Sendable {
    public let classCount: Int, featureCount: Int
    /// `classCount x featureCount`, row-major, on raw (unstandardised) features.
    public let weights: [Double]
    public let biases: [Double]
    /// L-BFGS iterations taken, and whether the gradient fell below the tolerance in them.
    public let iterations: Int, converged: Bool

    /// Fits the model.
    ///
    /// - Parameters:
    ///   - rows: One feature vector per image, all of one length.
    ///   - labels: Each image's class, in `0..<classCount`.
    ///   - sampleWeights: Each image's weight (nil: all 1).
    ///   - l2: The penalty on the standardised weights; positive.
    ///   - standardize: Standardise features first (off only to compare with a reference on raw features).
    ///   - tolerance: Stop when no gradient component exceeds this (scikit-learn's default is 1e-4;
    ///     1e-5 moves cross-validated predictions by far less than their intervals, and weak
    ///     penalties would need thousands of iterations for much less).
    public static func fit(
        rows: [[Float]], labels: [Int], classCount: Int, sampleWeights: [Double]? = nil, l2: Double,
        standardize: Bool = true, maxIterations: Int = 1000, tolerance: Double = 1e-5
    ) -> LogisticRegression {
        precondition(!rows.isEmpty && rows.count == labels.count, "one label per row")
        precondition(l2 > 0, "the L2 penalty must be positive")
        let (n, d, k) = (rows.count, rows[0].count, classCount)
        precondition(rows.allSatisfy { $0.count == d }, "rows of one length")
        precondition(labels.allSatisfy { (0..<k).contains($0) }, "labels in 0..<classCount")
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 1, count: d)
        if standardize {
            for row in rows { for j in 0..<d { mean[j] += Double(row[j]) } }
            for j in 0..<d { mean[j] /= Double(n) }
            var variance = [Double](repeating: 0, count: d)
            for row in rows { for j in 0..<d { variance[j] += (Double(row[j]) - mean[j]) * (Double(row[j]) - mean[j]) } }
            for j in 0..<d { let s = (variance[j] / Double(n)).squareRoot(); scale[j] = s > 1e-12 ? s : 1 }
        }
        var z = [Double](repeating: 0, count: n * d)
        for (i, row) in rows.enumerated() { for j in 0..<d { z[i * d + j] = (Double(row[j]) - mean[j]) / scale[j] } }
        let weights = sampleWeights ?? Array(repeating: 1, count: n)
        precondition(weights.count == n && weights.allSatisfy { $0 >= 0 } && weights.contains { $0 > 0 }, "non-negative weights")
        let problem = Problem(z: z, labels: labels, weights: weights, n: n, d: d, k: k, l2: l2)
        let result = minimiseLBFGS(start: [Double](repeating: 0, count: k * d + k), maxIterations: maxIterations,
                                   tolerance: tolerance, problem.valueAndGradient)
        // Fold the standardisation into the weights: W z + b = (W / scale) x + (b - W (mean / scale)).
        var raw = [Double](repeating: 0, count: k * d), biases = Array(result.x[(k * d)...])
        for c in 0..<k {
            for j in 0..<d {
                raw[c * d + j] = result.x[c * d + j] / scale[j]
                biases[c] -= result.x[c * d + j] * mean[j] / scale[j]
            }
        }
        return LogisticRegression(classCount: k, featureCount: d, weights: raw, biases: biases,
                                  iterations: result.iterations, converged: result.converged)
    }

    public init(classCount: Int, featureCount: Int, weights: [Double], biases: [Double], iterations: Int = 0, converged: Bool = true) {
        precondition(weights.count == classCount * featureCount && biases.count == classCount, "classes x features weights")
        (self.classCount, self.featureCount, self.weights, self.biases) = (classCount, featureCount, weights, biases)
        (self.iterations, self.converged) = (iterations, converged)
    }

    /// `W x + b` for one image's raw features.
    public func logits(_ features: [Float]) -> [Double] {
        precondition(features.count == featureCount, "\(featureCount) features expected")
        return (0..<classCount).map { c in
            var sum = biases[c]
            for j in 0..<featureCount { sum += weights[c * featureCount + j] * Double(features[j]) }
            return sum
        }
    }

    /// Class probabilities (softmax of the logits).
    public func probabilities(_ features: [Float]) -> [Double] { softmax(logits(features)) }

    /// The objective `f` on raw features (no standardisation), for checking a fit.
    public static func objective(
        weights: [Double], biases: [Double], rows: [[Float]], labels: [Int], sampleWeights: [Double]? = nil, l2: Double
    ) -> Double {
        let k = biases.count, d = rows[0].count
        let problem = Problem(z: rows.flatMap { $0.map(Double.init) }, labels: labels,
                              weights: sampleWeights ?? Array(repeating: 1, count: rows.count), n: rows.count, d: d, k: k, l2: l2)
        return problem.valueAndGradient(weights + biases).value
    }
}

/// The penalised weighted cross-entropy over standardised rows `z` (`n x d`) and its gradient
/// with respect to `[W (k x d), b (k)]`.
private struct Problem {
    let z: [Double], labels: [Int], weights: [Double]
    let n: Int, d: Int, k: Int, l2: Double

    func valueAndGradient(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        let total = weights.reduce(0, +)
        var value = 0.0
        var gradient = [Double](repeating: 0, count: k * d + k)
        var logits = [Double](repeating: 0, count: k)
        z.withUnsafeBufferPointer { z in
            x.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n where weights[i] > 0 {
                        let row = z.baseAddress! + i * d
                        for c in 0..<k {
                            logits[c] = x[k * d + c] + dot(x.baseAddress! + c * d, row, d)
                        }
                        let probabilities = softmax(logits)
                        let share = weights[i] / total
                        value -= share * log(max(probabilities[labels[i]], .leastNormalMagnitude))
                        for c in 0..<k {
                            let r = share * (probabilities[c] - (c == labels[i] ? 1 : 0))
                            let gw = g.baseAddress! + c * d
                            for j in 0..<d { gw[j] += r * row[j] }
                            g[k * d + c] += r
                        }
                    }
                    for index in 0..<(k * d) {
                        value += l2 / 2 * x[index] * x[index]
                        g[index] += l2 * x[index]
                    }
                }
            }
        }
        return (value, gradient)
    }
}

/// `sum_j a[j] * b[j]` with four running sums, so the additions need not wait for each other
/// (the compiler may not reorder floating-point additions itself): four times the speed.
@inline(__always)
func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    var j = 0
    while j + 4 <= count {
        s0 += a[j] * b[j]
        s1 += a[j + 1] * b[j + 1]
        s2 += a[j + 2] * b[j + 2]
        s3 += a[j + 3] * b[j + 3]
        j += 4
    }
    while j < count {
        s0 += a[j] * b[j]
        j += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// The softmax of `values`, shifted by their maximum so no exponential overflows.
func softmax(_ values: [Double]) -> [Double] {
    let top = values.max() ?? 0
    let exps = values.map { exp($0 - top) }
    let sum = exps.reduce(0, +)
    return exps.map { $0 / sum }
}

/// Limited-memory BFGS (10 pairs) with an Armijo backtracking line search.
///
/// - Returns: The last point, the iterations taken, and whether the largest gradient component
///   fell below `tolerance`.
func minimiseLBFGS(
    start: [Double], maxIterations: Int, tolerance: Double, memory: Int = 10,
    _ function: ([Double]) -> (value: Double, gradient: [Double])
) -> (x: [Double], iterations: Int, converged: Bool) {
    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    var x = start
    var (value, gradient) = function(x)
    var pairs: [(s: [Double], y: [Double], rho: Double)] = []
    for iteration in 0..<maxIterations {
        if gradient.map(abs).max() ?? 0 <= tolerance { return (x, iteration, true) }
        // Two-loop recursion: direction = -H gradient.
        var q = gradient
        var alphas: [Double] = []
        for pair in pairs.reversed() {
            let alpha = pair.rho * dot(pair.s, q)
            alphas.append(alpha)
            for index in q.indices { q[index] -= alpha * pair.y[index] }
        }
        if let last = pairs.last {
            let gamma = dot(last.s, last.y) / dot(last.y, last.y)
            for index in q.indices { q[index] *= gamma }
        } else {
            let norm = gradient.map(abs).max()!
            for index in q.indices { q[index] /= max(1, norm) }
        }
        for (pair, alpha) in zip(pairs, alphas.reversed()) {
            let beta = pair.rho * dot(pair.y, q)
            for index in q.indices { q[index] += pair.s[index] * (alpha - beta) }
        }
        var direction = q.map { -$0 }
        var slope = dot(direction, gradient)
        if slope >= 0 {  // not a descent direction: forget the curvature pairs
            pairs.removeAll()
            direction = gradient.map { -$0 / max(1, gradient.map(abs).max()!) }
            slope = dot(direction, gradient)
        }
        var step = 1.0, candidate = x, next = (value: value, gradient: gradient), accepted = false
        for _ in 0..<60 {
            for index in x.indices { candidate[index] = x[index] + step * direction[index] }
            next = function(candidate)
            if next.value <= value + 1e-4 * step * slope { accepted = true; break }
            step /= 2
        }
        guard accepted else { return (x, iteration, false) }  // no decrease left at floating-point precision
        let s = zip(candidate, x).map { $0 - $1 }, y = zip(next.gradient, gradient).map { $0 - $1 }
        let curvature = dot(s, y)
        if curvature > 1e-12 {
            pairs.append((s, y, 1 / curvature))
            if pairs.count > memory { pairs.removeFirst() }
        }
        (x, value, gradient) = (candidate, next.value, next.gradient)
    }
    return (x, maxIterations, gradient.map(abs).max() ?? 0 <= tolerance)
}
