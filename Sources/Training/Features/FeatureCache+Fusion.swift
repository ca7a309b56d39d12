import Foundation

extension FeatureCache {
    /// Early fusion: every row's columns of `self` followed by those of `other` (in each pooling),
    /// e.g. a backbone's pooled features and the trace measurements of the same files. The
    /// logistic head standardises every column, so the blocks need no scaling of their own.
    ///
    /// - Throws: ``FeatureCacheError/notACache(_:reason:)`` when the two were not computed from
    ///   the same files in the same order.
    public func concatenated(with other: FeatureCache) throws -> FeatureCache {
        guard files == other.files, labels == other.labels, classes == other.classes else {
            throw FeatureCacheError.notACache(other.source.summary, reason: "it was not computed from the same files as \(source.summary)")
        }
        let n = files.count, width = channels + other.channels
        func join(_ a: [Float], _ b: [Float]) -> [Float] {
            var joined = [Float](); joined.reserveCapacity(n * width)
            for row in 0..<n {
                joined += a[(row * channels)..<((row + 1) * channels)]
                joined += b[(row * other.channels)..<((row + 1) * other.channels)]
            }
            return joined
        }
        var fused = source
        fused.architecture = "\(source.architecture)+\(other.source.architecture)"
        fused.label = "\(source.summary) + \(other.source.summary)"
        fused.featureNames = nil
        return FeatureCache(files: files, labels: labels, classes: classes, fingerprints: fingerprints, source: fused,
                            channels: width, average: join(average, other.average), maximum: join(maximum, other.maximum))
    }
}
