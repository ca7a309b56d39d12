import Foundation

/// Duplicates within and across the splits of a data set, as `ecg audit` reports them: the same
/// image (identical bytes, pixels, or a near-identical perceptual hash) in two splits is a leak that
/// inflates test figures.
public struct DatasetAudit: Codable, Equatable, Sendable {
    /// Files and distinct images of one class in one split.
    public struct Count: Codable, Equatable, Sendable {
        public let split: String, className: String, files: Int, images: Int
        enum CodingKeys: String, CodingKey { case split, className = "class", files, images }
    }

    /// An image held by more than one file.
    public struct Duplicate: Codable, Equatable, Sendable {
        /// The files, relative to the audited folder.
        public let files: [String]
        /// The distinct splits and classes the files are in, sorted.
        public let splits: [String], classes: [String]
        /// Whether some files differ in pixels (joined by the perceptual hash only).
        public let near: Bool
    }

    /// The audited folder.
    public let root: String
    /// The splits found (sub-folders holding class folders), or `["."]` for a single class folder.
    public let splits: [String]
    public let counts: [Count]
    /// Every image held by more than one file.
    public let duplicates: [Duplicate]
    public let hashBits: Int, nearThreshold: Int
    public let fileCount: Int, imageCount: Int
    /// How many images are in more than one split (leaks); `crossSplit` lists them.
    public let crossSplitCount: Int

    /// Duplicates whose files are in more than one split: leaks.
    public var crossSplit: [Duplicate] { duplicates.filter { $0.splits.count > 1 } }
    /// Duplicates whose files are in more than one class: conflicting labels.
    public var crossClass: [Duplicate] { duplicates.filter { $0.classes.count > 1 } }

    /// The splits of `root`: each sub-folder that holds class folders (as `ecg split` writes), or
    /// `root` itself (split `.`) when its sub-folders hold images directly.
    public static func splits(of root: URL) throws(DatasetError) -> [(name: String, folder: ImageFolder)] {
        let whole = try ImageFolder.subfolders(of: root)
        let holdsImages = whole.contains { name in
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(name).path)) ?? []
            return entries.contains { ImageFolder.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
        }
        if holdsImages || whole.isEmpty { return [(".", try ImageFolder(directory: root))] }
        var result: [(name: String, folder: ImageFolder)] = []
        for name in whole.sorted(by: Self.splitOrder) {
            result.append((name, try ImageFolder(directory: root.appendingPathComponent(name, isDirectory: true))))
        }
        return result
    }

    /// train, validation, test first, then any other names alphabetically.
    private static func splitOrder(_ a: String, _ b: String) -> Bool {
        let rank = { (name: String) in SplitName(rawValue: name).map { SplitName.allCases.firstIndex(of: $0)! } ?? 3 }
        return (rank(a), a) < (rank(b), b)
    }

    /// Audits `splits` given the fingerprint of each file (split by split, in file order).
    public init(root: URL, splits: [(name: String, folder: ImageFolder)], fingerprints: [ImageFingerprint],
                nearThreshold: Int = DuplicateGroups.defaultNearThreshold) {
        let entries = splits.flatMap { split in
            split.folder.files.map { (split: split.name, className: split.folder.classes[$0.label], name: $0.url.lastPathComponent) }
        }
        precondition(entries.count == fingerprints.count, "one fingerprint per file")
        let groups = DuplicateGroups(fingerprints, nearThreshold: nearThreshold)
        let path = { (index: Int) in
            [entries[index].split, entries[index].className, entries[index].name].filter { $0 != "." }.joined(separator: "/")
        }

        var filesOfImage = [[Int]](repeating: [], count: groups.imageCount)
        for index in entries.indices { filesOfImage[groups.imageOfFile[index]].append(index) }
        duplicates = filesOfImage.filter { $0.count > 1 }.map { files in
            Duplicate(files: files.map(path), splits: Set(files.map { entries[$0].split }).sorted(by: Self.splitOrder),
                      classes: Set(files.map { entries[$0].className }).sorted(),
                      near: Set(files.map { fingerprints[$0].pixelSHA256 }).count > 1)
        }

        var counts: [Count] = []
        for split in splits {
            for name in split.folder.classes {
                let members = entries.indices.filter { entries[$0].split == split.name && entries[$0].className == name }
                counts.append(Count(split: split.name, className: name, files: members.count,
                                    images: Set(members.map { groups.imageOfFile[$0] }).count))
            }
        }
        self.counts = counts
        self.root = root.standardizedFileURL.path
        self.splits = splits.map(\.name)
        hashBits = fingerprints.first?.perceptualHash.bitCount ?? PerceptualHash.defaultSide * PerceptualHash.defaultSide
        self.nearThreshold = nearThreshold
        fileCount = entries.count
        imageCount = groups.imageCount
        crossSplitCount = duplicates.filter { $0.splits.count > 1 }.count
    }
}
