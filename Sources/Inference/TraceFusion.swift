import Checkpoints
import Foundation
import ReportFormat
import Tensors

/// The second half of ECGLens's own model (`ecglens`): a linear head on the page's trace
/// measurements (``TraceFeatures``), fused with the image network's probabilities.
///
/// The image network is an ordinary registry model (MobileNetV2 with a head fitted on its frozen
/// features); this adds what the waveform says. Late fusion by the weighted geometric mean
/// ``fuse(image:trace:weight:)``, `p ∝ p_image^w · p_trace^(1-w)`, is what won under grouped
/// cross-validation (docs/accuracy.md §7): each head is fitted on its own features, so neither
/// drowns the other, and a page the digitiser refuses falls back to the image head alone.
///
/// Stored in the fused model's weights file beside the image head (`ecg fit-fusion` writes it):
/// tensors `fusion.trace.weight` (`classes x features`, on raw features), `fusion.trace.bias`
/// (`classes`) and `fusion.trace.mean` (the fitted pages' mean of each feature, the baseline of
/// ``contributions(_:class:)``); metadata `fusion.format`, `fusion.image_weight`,
/// `fusion.trace_features` (``TraceFeatures/version``) and `fusion.trace_feature_names` (JSON).
public struct TraceFusion: Sendable, Equatable {
    public static let format = "ecglens-fusion/1"

    public let classCount: Int
    /// The trace columns the head was fitted on, in order (``TraceFeatures/featureNames`` when fitted).
    public let featureNames: [String]
    /// `classCount x featureNames.count`, row-major, on raw features.
    public let weights: [Float]
    public let biases: [Float]
    /// The fitted pages' mean of every feature.
    public let mean: [Float]
    /// The image head's exponent `w` in the fused probabilities (the trace head's is `1 - w`).
    public let imageWeight: Double
    /// The ``TraceFeatures/version`` the head was fitted on.
    public let traceVersion: String

    public init(classCount: Int, featureNames: [String], weights: [Float], biases: [Float], mean: [Float],
                imageWeight: Double, traceVersion: String = TraceFeatures.version) throws {
        let width = featureNames.count
        guard weights.count == classCount * width, biases.count == classCount, mean.count == width else {
            throw TraceFusionError.invalid("a \(classCount) x \(width) head needs \(classCount * width) weights, "
                                           + "\(classCount) biases and \(width) means")
        }
        guard (0...1).contains(imageWeight) else { throw TraceFusionError.invalid("the image weight \(imageWeight) is outside 0...1") }
        (self.classCount, self.featureNames, self.weights, self.biases, self.mean) = (classCount, featureNames, weights, biases, mean)
        (self.imageWeight, self.traceVersion) = (imageWeight, traceVersion)
    }

    /// The trace head's class probabilities for one page's ``TraceFeatures`` row.
    public func traceProbabilities(_ row: [Float]) -> [Float] {
        precondition(row.count == featureNames.count, "\(featureNames.count) trace features expected")
        let width = row.count
        let logits = (0..<classCount).map { c in
            (0..<width).reduce(Double(biases[c])) { $0 + Double(weights[c * width + $1]) * Double(row[$1]) }
        }
        let top = logits.max() ?? 0
        let exps = logits.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { Float($0 / total) }
    }

    /// The weighted geometric mean of two probability rows, `p ∝ a^w · b^(1-w)`, renormalised: a
    /// weighted sum of log-probabilities, so a confident head is not averaged away. The one
    /// definition of late fusion (`ecg cv --late-fusion` uses it too).
    public static func fuse(image a: [Float], trace b: [Float], weight: Double) -> [Float] {
        precondition(a.count == b.count, "two rows over the same classes")
        precondition((0...1).contains(weight), "a weight in 0...1")
        let logs = zip(a, b).map { p, q in weight * log(max(Double(p), 1e-12)) + (1 - weight) * log(max(Double(q), 1e-12)) }
        let top = logs.max() ?? 0
        let exps = logs.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { Float($0 / total) }
    }

    /// What each measurement contributed to class `c`'s logit against the fitted pages' average
    /// page, `w_cj · (x_j - mean_j)`, largest magnitude first: the measurements (of which leads)
    /// that moved the trace head towards or away from `c`.
    public func contributions(_ row: [Float], class c: Int) -> [(name: String, value: Float, contribution: Float)] {
        precondition(row.count == featureNames.count && (0..<classCount).contains(c))
        let width = row.count
        return (0..<width).map { j in (featureNames[j], row[j], weights[c * width + j] * (row[j] - mean[j])) }
            .filter { $0.2 != 0 }
            .sorted { abs($0.2) > abs($1.2) }
    }

    /// ``contributions(_:class:)`` of the per-lead measurements (ST, Q, R, S and T of `st_V2`,
    /// `q_depth_V2`...) summed per lead, largest magnitude first: which leads drove the answer.
    public func leadContributions(_ row: [Float], class c: Int) -> [(lead: String, contribution: Float)] {
        var sums: [String: Float] = [:]
        for item in contributions(row, class: c) {
            guard let cut = item.name.lastIndex(of: "_") else { continue }
            let lead = String(item.name[item.name.index(after: cut)...])
            if ReportGeometry.leads.contains(lead) { sums[lead, default: 0] += item.contribution }
        }
        return ReportGeometry.leads.compactMap { lead in sums[lead].map { (lead, $0) } }.sorted { abs($0.1) > abs($1.1) }
    }
}

/// Reading and writing the fusion part of a weights file.
extension TraceFusion {
    /// The fusion stored in `file`, or nil when the file holds none (an ordinary model).
    /// - Throws: ``TraceFusionError/file(path:reason:)`` naming the file when it is malformed or
    ///   was fitted on other trace features than this ECGLens computes.
    public init?(file: SafetensorsFile) throws {
        let m = file.metadata, path = file.path
        guard let format = m["fusion.format"] else { return nil }
        func fail(_ reason: String) -> TraceFusionError { .file(path: path, reason: reason) }
        guard format == Self.format else { throw fail("unknown fusion format \(format)") }
        guard let version = m["fusion.trace_features"], version == TraceFeatures.version else {
            throw fail("its trace head was fitted on \(m["fusion.trace_features"] ?? "unknown") features, but this ECGLens "
                       + "computes \(TraceFeatures.version); refit it with `ecg fit-fusion`")
        }
        guard let namesText = m["fusion.trace_feature_names"],
              let names = try? JSONDecoder().decode([String].self, from: Data(namesText.utf8)), names == TraceFeatures.featureNames else {
            throw fail("its trace columns differ from this ECGLens's; refit it with `ecg fit-fusion`")
        }
        guard let weightText = m["fusion.image_weight"], let imageWeight = Double(weightText) else {
            throw fail("metadata lacks fusion.image_weight")
        }
        do {
            let weight = try file.tensor("fusion.trace.weight")
            guard weight.shape.count == 2, weight.shape[1] == names.count else {
                throw fail("fusion.trace.weight has shape \(weight.shape), not classes x \(names.count)")
            }
            let classes = weight.shape[0]
            try self.init(classCount: classes, featureNames: names, weights: weight.scalars,
                          biases: try file.tensor("fusion.trace.bias", expectedShape: [classes]).scalars,
                          mean: try file.tensor("fusion.trace.mean", expectedShape: [names.count]).scalars,
                          imageWeight: imageWeight, traceVersion: version)
        } catch let error as TraceFusionError {
            throw error
        } catch {
            throw fail("\(error)")
        }
    }

    /// The tensors and metadata entries that store this fusion in a weights file.
    public func stored() throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        let tensors = [
            ("fusion.trace.weight", try Tensor(shape: [classCount, featureNames.count], values: weights)),
            ("fusion.trace.bias", try Tensor(shape: [classCount], values: biases)),
            ("fusion.trace.mean", try Tensor(shape: [featureNames.count], values: mean)),
        ]
        let names = String(decoding: (try? JSONEncoder().encode(featureNames)) ?? Data("[]".utf8), as: UTF8.self)
        return (tensors.map { (name: $0.0, tensor: $0.1) },
                ["fusion.format": Self.format, "fusion.image_weight": String(imageWeight),
                 "fusion.trace_features": traceVersion, "fusion.trace_feature_names": names])
    }
}

/// A fused model's trace head that cannot be used.
public enum TraceFusionError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(reason): "invalid trace fusion: \(reason)"
        case let .file(path, reason): "\(path): \(reason)"
        }
    }
}
