import Datasets
import Foundation
import ImageIO
import Inference
import Training

/// Caching `TraceFeatures` (Inference) for every page of a folder, as a `FeatureCache` that
/// `ecg cv`, `ecg fit-head` and `ecg fit-fusion` read like a backbone's features.
///
/// Lives in the CLI because `Training` (the cache) and `Inference` (the features) sit side by side
/// in the layer order.
extension TraceFeatures {
    /// A page that the digitiser refused, and why.
    struct Refusal: Codable, Equatable {
        let file: String
        let reason: String
    }

    /// Digitises and measures every file of `folder` once per distinct file content (copies are
    /// read once).
    ///
    /// - Parameter progress: Called after each file with the files done.
    /// - Throws: ``FeatureCacheError/unreadableImage(_:reason:)`` naming a file that cannot be read
    ///   or decoded (a refused page is not an error: it gets the refused row).
    static func compute(folder: ImageFolder, progress: (Int) -> Void = { _ in }) throws -> (cache: FeatureCache, refusals: [Refusal]) {
        var fingerprints: [ImageFingerprint] = [], values: [Float] = [], refusals: [Refusal] = []
        var byContent: [String: (values: [Float], refusal: String?)] = [:]
        let files = folder.files.map { "\(folder.classes[$0.label])/\($0.url.lastPathComponent)" }
        for (index, file) in folder.files.enumerated() {
            guard let bytes = FileManager.default.contents(atPath: file.url.path) else {
                throw FeatureCacheError.unreadableImage(file.url.path, reason: "cannot read the file")
            }
            let image: RGBImage
            do { image = try ImageDecoder.decode(bytes) } catch {
                throw FeatureCacheError.unreadableImage(file.url.path, reason: String(describing: error))
            }
            let fingerprint = ImageFingerprint(fileBytes: bytes, image: image)
            fingerprints.append(fingerprint)
            let row = byContent[fingerprint.fileSHA256] ?? Self.row(image)
            byContent[fingerprint.fileSHA256] = row
            values += row.values
            if let reason = row.refusal { refusals.append(Refusal(file: files[index], reason: reason)) }
            progress(index + 1)
        }
        let source = FeatureCache.Source(
            method: method, version: version, featureNames: featureNames, label: "trace measurements",
            data: folder.directory.standardizedFileURL.lastPathComponent)
        // One vector per page: stored as both "poolings", so any --pooling reads the same columns.
        let cache = FeatureCache(files: files, labels: folder.files.map(\.label), classes: folder.classes,
                                 fingerprints: fingerprints, source: source, channels: featureNames.count,
                                 average: values, maximum: values)
        return (cache, refusals)
    }

    /// The cache as CSV: `file,class,` then the feature columns, one row per file (for reading the
    /// measurements per class outside ECGLens; `ecg cv` reads the safetensors file).
    static func csv(_ cache: FeatureCache) -> String {
        var lines = [(["file", "class"] + featureNames).joined(separator: ",")]
        for row in cache.files.indices {
            let values = cache.features(row, pooling: .average).map { String($0) }
            lines.append(([quoted(cache.files[row]), cache.classes[cache.labels[row]]] + values).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func quoted(_ field: String) -> String {
        field.contains(",") || field.contains("\"") ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }
}
