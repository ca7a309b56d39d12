import Foundation

/// A leakage-safe train/validation/test split of an image folder, as `ecg split` makes it and
/// `Data/split.json` records it: files showing the same image (identical bytes, identical pixels
/// or a near-identical perceptual hash) and files sharing a manifest value always land on the same
/// side, and each class's distinct images are spread over the splits by the target fractions.
public struct DatasetSplit: Codable, Equatable, Sendable {
    /// One file of the source folder and where it went.
    public struct File: Codable, Equatable, Sendable {
        /// `class/file name`, relative to the source folder.
        public let path: String
        /// The class name.
        public let className: String
        public let split: SplitName
        /// The group kept on one side (distinct images joined by manifest values).
        public let group: Int
        /// The distinct image (exact and near duplicates share one).
        public let image: Int
        public let sha256: String
        public let pixelSHA256: String
        public let perceptualHash: String

        enum CodingKeys: String, CodingKey {
            case path, className = "class", split, group, image, sha256, pixelSHA256 = "pixel_sha256"
            case perceptualHash = "perceptual_hash"
        }
    }

    /// Files and distinct images of one class in one split.
    public struct Count: Codable, Equatable, Sendable {
        public var files = 0, images = 0
        public init() {}
    }

    /// A near-duplicate pair (different pixels, perceptual hashes within the threshold).
    public struct NearPair: Codable, Equatable, Sendable {
        public let first: String, second: String, distance: Int
    }

    /// The folder that was split (an absolute path).
    public let source: String
    public let seed: UInt64
    public let fractions: SplitFractions
    public let classes: [String]
    /// The perceptual hash's bits and the largest distance counted as a near duplicate.
    public let hashBits: Int, nearThreshold: Int
    /// The manifest and column that grouped files further, if any.
    public let manifest: String?, groupColumn: String?
    /// Files whose bytes, or else pixels, equal an earlier file's.
    public let identicalFiles: Int, identicalPixels: Int
    public let nearPairs: [NearPair]
    /// The smallest hash distance between files with different pixels: how close the threshold is.
    public let smallestDistinctDistance: Int?
    public let imageCount: Int, groupCount: Int
    /// Split name → class name → counts.
    public let counts: [String: [String: Count]]
    public let files: [File]

    /// Plans the split of `folder`.
    ///
    /// - Parameters:
    ///   - fingerprints: One per file of `folder`, in order (``ImageFingerprint/compute(_:threads:progress:)``).
    ///   - manifestGroups: Files (keyed as ``Manifest/key(file:className:)``) with the same non-empty
    ///     value go to the same split; files the manifest does not list are grouped by content only.
    public init(folder: ImageFolder, fingerprints: [ImageFingerprint], fractions: SplitFractions, seed: UInt64,
                nearThreshold: Int = DuplicateGroups.defaultNearThreshold,
                manifest: (path: String, column: String, values: [String: String])? = nil) {
        precondition(fingerprints.count == folder.files.count, "one fingerprint per file")
        let duplicates = DuplicateGroups(fingerprints, nearThreshold: nearThreshold)
        let paths = folder.files.map { "\(folder.classes[$0.label])/\($0.url.lastPathComponent)" }

        // Groups: distinct images, joined further by equal manifest values.
        var sets = UnionFind(count: folder.files.count)
        var firstWithImage: [Int: Int] = [:], firstWithValue: [String: Int] = [:]
        for index in folder.files.indices {
            let image = duplicates.imageOfFile[index]
            if let earlier = firstWithImage[image] { sets.union(earlier, index) } else { firstWithImage[image] = index }
            if let value = manifest?.values[paths[index]], !value.isEmpty {
                if let earlier = firstWithValue[value] { sets.union(earlier, index) } else { firstWithValue[value] = index }
            }
        }
        let groupOfFile = sets.components()
        let groupCount = (groupOfFile.max() ?? -1) + 1

        // Each group's distinct images per class, then the split of each group.
        var imagesSeen = Set<[Int]>()
        var groupImages = Array(repeating: [Int](repeating: 0, count: folder.classes.count), count: groupCount)
        for (index, file) in folder.files.enumerated()
        where imagesSeen.insert([duplicates.imageOfFile[index], file.label]).inserted {
            groupImages[groupOfFile[index]][file.label] += 1
        }
        let splitOfGroup = SplitPlan.assign(groupImages: groupImages, fractions: fractions, seed: seed)

        files = folder.files.indices.map { index in
            File(path: paths[index], className: folder.classes[folder.files[index].label],
                 split: splitOfGroup[groupOfFile[index]], group: groupOfFile[index], image: duplicates.imageOfFile[index],
                 sha256: fingerprints[index].fileSHA256, pixelSHA256: fingerprints[index].pixelSHA256,
                 perceptualHash: fingerprints[index].perceptualHash.description)
        }
        counts = Self.count(files, classes: folder.classes, splits: SplitName.allCases.filter { fractions[$0] > 0 })
        source = folder.directory.standardizedFileURL.path
        self.seed = seed
        self.fractions = fractions
        classes = folder.classes
        hashBits = fingerprints.first?.perceptualHash.bitCount ?? PerceptualHash.defaultSide * PerceptualHash.defaultSide
        self.nearThreshold = nearThreshold
        self.manifest = manifest?.path
        groupColumn = manifest?.column
        identicalFiles = duplicates.identicalFileCount
        identicalPixels = duplicates.identicalPixelCount
        nearPairs = duplicates.nearPairs.map { NearPair(first: paths[$0.first], second: paths[$0.second], distance: $0.distance) }
        smallestDistinctDistance = duplicates.smallestDistinctDistance
        imageCount = duplicates.imageCount
        self.groupCount = groupCount
    }

    /// Files and distinct images per split and class, with a zero for every class in every split.
    static func count(_ files: [File], classes: [String], splits: [SplitName]) -> [String: [String: Count]] {
        var counts: [String: [String: Count]] = [:]
        for split in splits { for name in classes { counts[split.rawValue, default: [:]][name] = Count() } }
        var seen = Set<String>()
        for file in files {
            counts[file.split.rawValue, default: [:]][file.className, default: Count()].files += 1
            if seen.insert("\(file.split.rawValue)/\(file.className)/\(file.image)").inserted {
                counts[file.split.rawValue]![file.className]!.images += 1
            }
        }
        return counts
    }

    /// The files of one split.
    public func files(in split: SplitName) -> [File] { files.filter { $0.split == split } }
}
