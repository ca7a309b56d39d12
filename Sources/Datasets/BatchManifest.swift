import Foundation

/// The files a batch job scores: image files found under folders (recursively), named directly,
/// or listed in list files, sorted and each once. Sorting makes the order, and so every shard,
/// the same on every machine and every run.
public struct BatchManifest: Sendable, Equatable {
    /// The files' paths as given (a folder's path joined with the path below it; a list file's
    /// lines as written, relative ones resolved against the working directory when opened).
    public let files: [String]

    public init(files: [String]) {
        self.files = Array(Set(files)).sorted()
    }

    /// Lists `inputs` (folders, walked recursively for `.jpg`, `.jpeg` and `.png` files, hidden
    /// entries skipped; or single files, kept whatever their type) and `listFiles` (one path per
    /// line; blank lines and lines starting with `#` skipped).
    ///
    /// - Throws: ``DatasetError/notAFolder(_:)`` for an input that does not exist,
    ///   ``DatasetError/badManifest(_:reason:)`` for a list file that cannot be read.
    public init(inputs: [String], listFiles: [String] = []) throws(DatasetError) {
        var files: [String] = []
        let manager = FileManager.default
        for input in inputs {
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: input, isDirectory: &isFolder) else { throw .notAFolder(input) }
            guard isFolder.boolValue else { files.append(input); continue }
            files += Self.images(under: input)
        }
        for list in listFiles {
            guard let text = try? String(contentsOfFile: list, encoding: .utf8) else {
                throw .badManifest(list, reason: "cannot be read as UTF-8 text")
            }
            for line in text.split(whereSeparator: \.isNewline) {
                let path = line.trimmingCharacters(in: .whitespaces)
                if !path.isEmpty && !path.hasPrefix("#") { files.append(path) }
            }
        }
        self.init(files: files)
    }

    /// The image files below `folder`, as `folder/relative/path`.
    private static func images(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        let base = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            if ImageFolder.imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                found.append(base + "/" + relative)
            }
        }
        return found
    }

    /// This shard's files: every `count`-th file of the sorted list, starting at `index`. The
    /// shards of one manifest are disjoint and together hold every file.
    public func files(in shard: Shard) -> [String] {
        stride(from: shard.index, to: files.count, by: shard.count).map { files[$0] }
    }
}

/// One part of a job split over `count` workers (`index` counts from 0, as Kubernetes' Indexed
/// Jobs set `JOB_COMPLETION_INDEX`).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The whole job as one shard.
    public static let all = Shard(uncheckedIndex: 0, count: 1)

    /// - Throws: ``ShardError`` unless `0 <= index < count`.
    public init(index: Int, count: Int) throws(ShardError) {
        guard count > 0, (0..<count).contains(index) else { throw ShardError(index: index, count: count) }
        self.init(uncheckedIndex: index, count: count)
    }

    private init(uncheckedIndex index: Int, count: Int) {
        (self.index, self.count) = (index, count)
    }

    /// Parses `I/N` (`2/8`: the third of eight shards).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
              let shard = try? Shard(index: index, count: count) else { return nil }
        self = shard
    }

    public var description: String { "\(index)/\(count)" }
}

/// A shard index outside `0..<count`, or a count below 1.
public struct ShardError: Error, Sendable, Equatable, CustomStringConvertible {
    public let index: Int, count: Int
    public var description: String { "shard \(index)/\(count) does not exist: the index must be 0 to count-1 and the count at least 1" }
}
