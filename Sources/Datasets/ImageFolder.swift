import Determinism
import Foundation

/// One image file and the index of its class.
public struct LabeledFile: Hashable, Sendable {
    /// The image file.
    public let url: URL
    /// The index of its class in the data set's `classes`.
    public let label: Int

    public init(url: URL, label: Int) {
        self.url = url
        self.label = label
    }
}

/// Why a data-set folder could not be read.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The folder does not exist or is not a folder.
    case notAFolder(String)
    /// A class named by the caller has no folder.
    case missingClass(String, folder: String)
    /// The folder holds no class folders, or no images in them.
    case empty(String)
    /// An image file cannot be read or decoded.
    case unreadableImage(String, reason: String)
    /// A CSV manifest cannot be used.
    case badManifest(String, reason: String)
    /// The output of an earlier split is in the way.
    case outputExists(String)
    /// A split's folders, links or record cannot be written.
    case cannotWrite(String, reason: String)

    public var description: String {
        switch self {
        case .notAFolder(let path): "\(path) is not a folder"
        case .missingClass(let name, let folder): "\(folder) has no folder for class \(name)"
        case .empty(let path): "\(path) holds no images in class folders"
        case .unreadableImage(let path, let reason): "\(path): \(reason)"
        case .badManifest(let path, let reason): "manifest \(path): \(reason)"
        case .outputExists(let path): "\(path) already exists (pass --force to replace an earlier split)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

/// A data set stored as one folder of images per class (`DIR/<class>/<image>`), the layout the
/// old app's `Data/train` and `Data/test`, the shared data set and `ecg synth` all use.
public struct ImageFolder: Sendable {
    /// The file-name extensions read as images, lower-cased.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The folder that holds the class folders.
    public let directory: URL
    /// The class names, in label order.
    public let classes: [String]
    /// Every image, class by class, sorted by file name within a class.
    public let files: [LabeledFile]

    /// Lists the images under `directory`.
    ///
    /// - Parameter classes: The class folders to read, in label order (a model's classes, say); each
    ///   must exist, and may be empty. Without it, every sub-folder is a class, sorted by name.
    public init(directory: URL, classes: [String]? = nil) throws(DatasetError) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .notAFolder(directory.path)
        }
        let names = if let classes { classes } else { try Self.subfolders(of: directory) }
        var files: [LabeledFile] = []
        for (label, name) in names.enumerated() {
            let folder = directory.appendingPathComponent(name, isDirectory: true)
            guard let entries = try? manager.contentsOfDirectory(atPath: folder.path) else {
                throw .missingClass(name, folder: directory.path)
            }
            for entry in entries.sorted() where !entry.hasPrefix(".")
                && Self.imageExtensions.contains((entry as NSString).pathExtension.lowercased()) {
                files.append(LabeledFile(url: folder.appendingPathComponent(entry), label: label))
            }
        }
        guard !names.isEmpty, !files.isEmpty else { throw .empty(directory.path) }
        self.init(directory: directory, classes: names, files: files)
    }

    private init(directory: URL, classes: [String], files: [LabeledFile]) {
        (self.directory, self.classes, self.files) = (directory, classes, files)
    }

    /// The same data set with each file content once: of the files with one SHA-256, the first
    /// (by class, then name) stays. Copies add nothing to training but time.
    /// - Throws: ``DatasetError/unreadableImage(_:reason:)`` for a file that cannot be read.
    public func distinctFiles() throws(DatasetError) -> ImageFolder {
        var seen = Set<String>()
        var kept: [LabeledFile] = []
        for file in files {
            guard let bytes = try? Data(contentsOf: file.url) else {
                throw .unreadableImage(file.url.path, reason: "cannot read the file")
            }
            if seen.insert(SHA256.hex(bytes)).inserted { kept.append(file) }
        }
        return ImageFolder(directory: directory, classes: classes, files: kept)
    }

    /// The names of the folders in `directory` (hidden ones left out), sorted.
    ///
    /// - Throws: ``DatasetError/notAFolder(_:)`` when `directory` is not a folder.
    public static func subfolders(of directory: URL) throws(DatasetError) -> [String] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue,
              let entries = try? manager.contentsOfDirectory(atPath: directory.path) else {
            throw .notAFolder(directory.path)
        }
        return entries.filter { name in
            var folder: ObjCBool = false
            return !name.hasPrefix(".")
                && manager.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &folder)
                && folder.boolValue
        }.sorted()
    }

    /// How many images each class has, in label order.
    public var classCounts: [Int] {
        files.reduce(into: Array(repeating: 0, count: classes.count)) { $0[$1.label] += 1 }
    }
}

extension ImageFolder {
    /// A fingerprint of the data set's content listing (class and file name of every image), so a
    /// model's provenance pins the exact split it was trained on: FNV-1a 64 in hex.
    public var listingFingerprint: String {
        let listing = files.map { "\(classes[$0.label])/\($0.url.lastPathComponent)\n" }.joined()
        return String(fnv1a64(listing.utf8), radix: 16)
    }
}
