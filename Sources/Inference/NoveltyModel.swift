import Foundation
import Models

/// The novelty half of the input gate: does the image lie within the model's training data, as
/// the model itself sees it?
///
/// The model's penultimate features of the training pages give one mean per class and a shared
/// covariance Σ (Ledoit-Wolf shrunk, see ``estimate(features:labels:classCount:)``). An image's
/// score is its Mahalanobis distance to the nearest class mean, `min_c √((x − μ_c)ᵀ Σ⁻¹ (x − μ_c))`
/// (Lee et al., "A Simple Unified Framework for Detecting Out-of-Distribution Samples and
/// Adversarial Attacks", NeurIPS 2018), computed as `‖W x − W μ_c‖` with `W = L⁻¹`, `Σ = L Lᵀ`.
/// Images farther than ``threshold`` (chosen on the validation split by `ecg fit-gate`) are
/// refused. It is stored next to the weights (``sidecarURL(forWeights:)``).
public struct NoveltyModel: Sendable, Equatable {
    /// Class names, in the order of ``means``.
    public let classes: [String]
    /// The layer whose outputs are the features (`dense`).
    public let featureLayer: String
    /// One mean feature vector per class (`classes.count x dimension`).
    public let means: [[Float]]
    /// `W = L⁻¹`, lower triangular, row-major `dimension x dimension`.
    public let whitening: [Float]
    /// Distances above this are out of distribution.
    public let threshold: Double
    /// What the fit measured (shrinkage, image counts, pass rates), as stored in the sidecar.
    public let facts: [String: String]
    /// `W μ_c`, one row per class.
    let whitenedMeans: [[Float]]

    /// The number of features per image.
    public let dimension: Int

    /// - Throws: ``NoveltyModelError/invalid(_:)`` when the shapes disagree or a value is not finite.
    public init(classes: [String], featureLayer: String, means: [[Float]], whitening: [Float], threshold: Double,
                facts: [String: String] = [:]) throws(NoveltyModelError) {
        let d = means.first?.count ?? 0
        guard !classes.isEmpty, means.count == classes.count, d > 0, means.allSatisfy({ $0.count == d }) else {
            throw .invalid("need one mean of the same length per class (\(classes.count) classes, \(means.count) means)")
        }
        guard whitening.count == d * d else { throw .invalid("the whitening matrix is not \(d) x \(d)") }
        guard threshold.isFinite, threshold > 0 else { throw .invalid("the threshold must be a positive number, not \(threshold)") }
        guard whitening.allSatisfy(\.isFinite), means.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw .invalid("the means or the whitening matrix hold a value that is not finite")
        }
        self.classes = classes
        self.featureLayer = featureLayer
        self.means = means
        self.whitening = whitening
        self.threshold = threshold
        self.facts = facts
        dimension = d
        whitenedMeans = means.map { Self.whiten($0[...], whitening, dimension: d) }
    }

    /// The score of one image's features (`dimension` values).
    public func score(_ features: ArraySlice<Float>) -> NoveltyScore {
        precondition(features.count == dimension, "expected \(dimension) features, got \(features.count)")
        let z = Self.whiten(features, whitening, dimension: dimension)
        var best = Double.infinity, nearest = 0
        for (c, mean) in whitenedMeans.enumerated() {
            var sum = 0.0
            for i in 0..<z.count {
                let d = Double(z[i] - mean[i])
                sum += d * d
            }
            if sum < best { (best, nearest) = (sum, c) }
        }
        return NoveltyScore(distance: best.squareRoot(), threshold: threshold, nearestClass: classes[nearest])
    }

    /// `W v` for lower-triangular `W` (Double sums, Float results).
    static func whiten(_ v: ArraySlice<Float>, _ w: [Float], dimension d: Int) -> [Float] {
        let base = v.startIndex
        return (0..<d).map { row in
            var sum = 0.0
            for col in 0...row { sum += Double(w[row * d + col]) * Double(v[base + col]) }
            return Float(sum)
        }
    }

    /// The sidecar of a weights file: `small_cnn.safetensors` → `small_cnn.gate.safetensors`.
    public static func sidecarURL(forWeights url: URL) -> URL {
        url.deletingPathExtension().appendingPathExtension("gate.safetensors")
    }
}

/// How far one image lies from the training data.
public struct NoveltyScore: Sendable, Codable, Equatable {
    /// Mahalanobis distance to the nearest class mean.
    public let distance: Double
    /// The largest distance accepted.
    public let threshold: Double
    /// The class whose mean is nearest.
    public let nearestClass: String

    public init(distance: Double, threshold: Double, nearestClass: String) {
        (self.distance, self.threshold, self.nearestClass) = (distance, threshold, nearestClass)
    }

    /// Whether the image lies within the training data.
    public var accepted: Bool { distance <= threshold }

    enum CodingKeys: String, CodingKey {
        case distance, threshold, accepted
        case nearestClass = "nearest_class"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        distance = try container.decode(Double.self, forKey: .distance)
        threshold = try container.decode(Double.self, forKey: .threshold)
        nearestClass = try container.decode(String.self, forKey: .nearestClass)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode((distance * 1000).rounded() / 1000, forKey: .distance)
        try container.encode((threshold * 1000).rounded() / 1000, forKey: .threshold)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(nearestClass, forKey: .nearestClass)
    }
}

/// A novelty model that cannot be fitted, read or used.
public enum NoveltyModelError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    /// The sidecar at `path` is unusable.
    case sidecar(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(reason): "invalid novelty model: \(reason)"
        case let .sidecar(path, reason): "\(path): \(reason); refit it with `ecg fit-gate`"
        }
    }
}
