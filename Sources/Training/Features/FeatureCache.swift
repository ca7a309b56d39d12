import Checkpoints
import Datasets
import Foundation
import ImageIO
import Models
import Tensors

/// How a backbone's last feature map becomes one vector per image.
public enum FeaturePooling: String, CaseIterable, Codable, Sendable {
    /// Global average pooling: what the shipped Keras head (`GlobalAveragePooling2D`) sees.
    case average = "avg"
    /// Global max pooling.
    case maximum = "max"
    /// Both, concatenated (average first): twice the features.
    case both = "avg+max"
}

/// Why a feature cache cannot be made, read or used; each case names the file.
public enum FeatureCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableImage(String, reason: String)
    case notACache(String, reason: String)
    case notFeatureNetwork(String)

    public var description: String {
        switch self {
        case .unreadableImage(let path, let reason): "\(path): \(reason)"
        case .notACache(let path, let reason): "\(path) is not a usable feature cache: \(reason)"
        case .notFeatureNetwork(let name): "\(name) has no backbone feature map to cache (mobilenetv2 and vgg16 have one)"
        }
    }
}

/// A frozen backbone's pooled features of every file of a one-folder-per-class data set,
/// computed once and stored, so that linear heads (`LogisticRegression`) are fitted and
/// cross-validated in seconds instead of rerunning the network.
///
/// Stored as a safetensors file: tensors `average` and `maximum` (`N x C` float32) and, in the
/// metadata, the format tag, the files (`class/name`), labels, classes, each file's fingerprint
/// (for grouping duplicates without reading the images again) and the source (weights and input
/// transform). Other per-image feature columns (trace measurements, say) can be concatenated to
/// a cache's rows by file name.
public struct FeatureCache: Sendable {
    /// The format tag in the metadata.
    public static let format = "ecglens-features/1"

    /// What the features were computed with.
    public struct Source: Codable, Equatable, Sendable {
        /// The weights file's name and SHA-256.
        public var weights: String, weightsSHA256: String
        public var architecture: String
        public var inputSize: Int, resize: String, preprocessing: String
        /// `left,top,right,bottom` page fractions, nil for the whole page.
        public var crop: String?
        /// The data folder's name (not its full path, so that caches can be compared across machines).
        public var data: String
        /// What the columns are, where they are not a backbone's pooled channels: the names of the
        /// trace-measurement columns (`TraceFeatures`), or nil.
        public var featureNames: [String]?
        /// The table label where the features are not one backbone's at one size (trace
        /// measurements, fused caches); nil for a backbone's.
        public var label: String?

        enum CodingKeys: String, CodingKey {
            case weights, architecture, resize, preprocessing, crop, data, label
            case weightsSHA256 = "weights_sha256", inputSize = "input_size", featureNames = "feature_names"
        }

        public init(weights: String, weightsSHA256: String, architecture: String, transform: InputSpec, data: String) {
            self.weights = weights
            self.weightsSHA256 = weightsSHA256
            self.architecture = architecture
            inputSize = transform.inputSize
            resize = transform.resize.rawValue
            preprocessing = transform.preprocessing.rawValue
            crop = transform.crop?.description
            self.data = data
        }

        /// Features that no network computed (trace measurements read off the page by a digitiser):
        /// `method` names it (`architecture` in tables), `version` its version (`weights`), and
        /// `featureNames` the columns. No input transform applies (`inputSize` 0, resize and
        /// preprocessing `none`).
        public init(method: String, version: String, featureNames: [String], label: String, data: String) {
            (weights, weightsSHA256, architecture) = (version, "", method)
            (inputSize, resize, preprocessing, crop) = (0, "none", "none", nil)
            (self.featureNames, self.label, self.data) = (featureNames, label, data)
        }

        /// One line for tables: `224 px whole page`, `224 px crop 0.03,0.18,0.98,0.96`, or the label.
        public var summary: String { label ?? ("\(inputSize) px " + (crop.map { "crop \($0)" } ?? "whole page")) }
    }

    /// `class/file name` of each row.
    public let files: [String]
    /// The class index of each row.
    public let labels: [Int]
    public let classes: [String]
    public let fingerprints: [ImageFingerprint]
    public let source: Source
    /// Features per pooling.
    public let channels: Int
    /// `N x channels`, row-major.
    public let average: [Float], maximum: [Float]

    public init(files: [String], labels: [Int], classes: [String], fingerprints: [ImageFingerprint], source: Source,
                channels: Int, average: [Float], maximum: [Float]) {
        precondition(files.count == labels.count && labels.count == fingerprints.count, "one label and fingerprint per file")
        precondition(average.count == files.count * channels && maximum.count == average.count, "N x channels features")
        (self.files, self.labels, self.classes, self.fingerprints) = (files, labels, classes, fingerprints)
        (self.source, self.channels, self.average, self.maximum) = (source, channels, average, maximum)
    }

    /// The number of features a row has with `pooling`.
    public func width(_ pooling: FeaturePooling) -> Int { pooling == .both ? 2 * channels : channels }

    /// Row `row`'s features with `pooling`.
    public func features(_ row: Int, pooling: FeaturePooling) -> [Float] {
        let range = (row * channels)..<((row + 1) * channels)
        switch pooling {
        case .average: return Array(average[range])
        case .maximum: return Array(maximum[range])
        case .both: return Array(average[range]) + Array(maximum[range])
        }
    }

    // MARK: - Computing

    /// Runs `network`'s backbone over every file of `folder`, `batchSize` images at a time.
    ///
    /// - Parameter progress: Called after each batch with the files done.
    /// - Throws: ``FeatureCacheError/unreadableImage(_:reason:)`` naming the first file that
    ///   cannot be read or decoded; `TensorError` only for a programming error.
    public static func compute(
        folder: ImageFolder, network: any BackboneFeatures, transform: InputSpec, source: Source,
        batchSize: Int = 8, progress: (Int) -> Void = { _ in }
    ) throws -> FeatureCache {
        precondition(batchSize > 0, "batch size must be positive")
        var fingerprints: [ImageFingerprint] = [], average: [Float] = [], maximum: [Float] = []
        var channels = 0
        for start in stride(from: 0, to: folder.files.count, by: batchSize) {
            let batch = folder.files[start..<min(start + batchSize, folder.files.count)]
            var images: [RGBImage] = []
            for file in batch {
                guard let bytes = FileManager.default.contents(atPath: file.url.path) else {
                    throw FeatureCacheError.unreadableImage(file.url.path, reason: "cannot read the file")
                }
                let image: RGBImage
                do { image = try transform.decode(bytes) } catch {
                    throw FeatureCacheError.unreadableImage(file.url.path, reason: String(describing: error))
                }
                fingerprints.append(ImageFingerprint(fileBytes: bytes, image: image))
                images.append(image)
            }
            let side = transform.inputSize
            let input = Tensor(shape: [images.count, side, side, 3]) { pointer in
                for (index, image) in images.enumerated() { transform.apply(to: image, into: pointer + index * transform.valuesPerImage) }
            }
            let map = try network.featureMap(input)    // N x H x W x C
            channels = map.shape[3]
            let pooled = globalPools(map)
            average += pooled.average
            maximum += pooled.maximum
            progress(start + batch.count)
        }
        return FeatureCache(
            files: folder.files.map { "\(folder.classes[$0.label])/\($0.url.lastPathComponent)" },
            labels: folder.files.map(\.label), classes: folder.classes, fingerprints: fingerprints, source: source,
            channels: channels, average: average, maximum: maximum)
    }

    /// The mean and the maximum of each channel over height and width: `N x C` each.
    static func globalPools(_ map: Tensor) -> (average: [Float], maximum: [Float]) {
        let (n, pixels, c) = (map.shape[0], map.shape[1] * map.shape[2], map.shape[3])
        var average = [Float](repeating: 0, count: n * c), maximum = [Float](repeating: -.infinity, count: n * c)
        map.withPointer { x in
            for image in 0..<n {
                for pixel in 0..<pixels {
                    let row = x + (image * pixels + pixel) * c
                    for channel in 0..<c {
                        average[image * c + channel] += row[channel]
                        maximum[image * c + channel] = max(maximum[image * c + channel], row[channel])
                    }
                }
            }
        }
        for index in average.indices { average[index] /= Float(pixels) }
        return (average, maximum)
    }

    // MARK: - Storing

    /// Writes the cache as a safetensors file (atomically).
    /// - Throws: `CheckpointError.writeFailed` naming the file.
    public func write(to url: URL) throws {
        let n = files.count
        let metadata: [String: String] = [
            "format": Self.format, "source": try Self.json(source), "files": try Self.json(files),
            "labels": try Self.json(labels), "classes": try Self.json(classes), "fingerprints": try Self.json(fingerprints),
        ]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SafetensorsFile.write(
            [("average", try Tensor(shape: [n, channels], values: average)),
             ("maximum", try Tensor(shape: [n, channels], values: maximum))],
            metadata: metadata, to: url)
    }

    /// Reads a cache that `write(to:)` wrote.
    /// - Throws: ``FeatureCacheError/notACache(_:reason:)`` naming the file; `CheckpointError` for a
    ///   file that is not safetensors at all.
    public init(contentsOf url: URL) throws {
        let file = try SafetensorsFile(contentsOf: url)
        func fail(_ reason: String) -> FeatureCacheError { .notACache(url.path, reason: reason) }
        guard file.metadata["format"] == Self.format else { throw fail("its format is not \(Self.format)") }
        func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = file.metadata[key], let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw fail("its metadata has no valid \(key)")
            }
            return value
        }
        let files = try decode("files", as: [String].self), labels = try decode("labels", as: [Int].self)
        let classes = try decode("classes", as: [String].self)
        let fingerprints = try decode("fingerprints", as: [ImageFingerprint].self)
        let average = try file.tensor("average"), maximum = try file.tensor("maximum")
        guard average.rank == 2, average.shape == maximum.shape, average.shape[0] == files.count,
              labels.count == files.count, fingerprints.count == files.count,
              labels.allSatisfy({ classes.indices.contains($0) }) else {
            throw fail("its tensors, files, labels and fingerprints do not agree")
        }
        self.init(files: files, labels: labels, classes: classes, fingerprints: fingerprints,
                  source: try decode("source", as: Source.self), channels: average.shape[1],
                  average: average.scalars, maximum: maximum.scalars)
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
