import Datasets
import Digitise
import Foundation
import ImageIO
import Training

/// Trace-measurement features of report pages: the digitiser's `Measurements.featureVector`
/// (rate, RR variability, ectopic beats, intervals, axis, and per lead ST deviation, Q depth and
/// width, R, S and T amplitudes) behind two columns saying how well the page was read, stored as
/// a `FeatureCache` so that `ecg cv` and `ecg fit-head` use them like a backbone's features.
///
/// Layout (`featureNames`, the same for every page): `digitised` (1, or 0 for a page the
/// digitiser refused), `readable_fraction` (the share of the 13 traces read with enough coverage),
/// then `Measurements.featureNames`. A refused page is all zeros (its `digitised` 0 is the
/// missing-value indicator; the measurements' own missing values are 0 with an indicator too).
///
/// Lives in the CLI because `Training` sits below `Digitise` in the layer order.
enum TraceFeatures {
    /// The method name stored as the cache's `architecture`.
    static let method = "digitise"
    /// Bump when the columns or their meaning change.
    static let version = "trace-features/2"

    /// The column names, in order.
    static let featureNames = ["digitised", "readable_fraction"] + Measurements.featureNames

    /// A page that the digitiser refused, and why.
    struct Refusal: Codable, Equatable {
        let file: String
        let reason: String
    }

    /// The features of one decoded page, or the refused-page row and the reason.
    static func row(_ image: RGBImage) -> (values: [Float], refusal: String?) {
        do {
            let ecg = try Digitiser.digitise(image)
            let traces = ecg.leads + [ecg.rhythm]
            let readable = Double(traces.filter(\.readable).count) / Double(traces.count)
            let values = [1, readable] + Measurements(ecg).featureVector
            // A non-finite measurement would poison the standardisation: count it as missing (0).
            return (values.map { $0.isFinite ? Float($0) : 0 }, nil)
        } catch {
            return (refusedRow, error.description)
        }
    }

    /// What a refused page contributes: zeros, `digitised` 0.
    static var refusedRow: [Float] { [Float](repeating: 0, count: featureNames.count) }

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
