import Foundation

/// How `ecg split` puts a file into a split folder.
public enum SplitLink: String, CaseIterable, Codable, Sendable {
    /// A symbolic link to the source file (the default: no copies, sources untouched).
    case symlink
    /// A copy of the file.
    case copy
}

extension DatasetSplit {
    /// The record's file name inside the output folder.
    public static let recordName = "split.json"

    /// Writes `out/<split>/<class>/<file>` for every file and `out/split.json`.
    ///
    /// Source files are never moved or deleted. With `replacing`, an earlier split's `train`,
    /// `validation`, `test` folders and `split.json` in `out` are removed first; without it they are
    /// an error.
    ///
    /// - Throws: ``DatasetError/outputExists(_:)`` or ``DatasetError/cannotWrite(_:reason:)``.
    public func write(to out: URL, link: SplitLink = .symlink, replacing: Bool = false) throws(DatasetError) {
        let manager = FileManager.default
        let source = URL(fileURLWithPath: source, isDirectory: true)
        let ours = SplitName.allCases.map { out.appendingPathComponent($0.rawValue) } + [out.appendingPathComponent(Self.recordName)]
        for url in ours where manager.fileExists(atPath: url.path) {
            guard replacing else { throw .outputExists(url.path) }
            do { try manager.removeItem(at: url) } catch { throw .cannotWrite(url.path, reason: error.localizedDescription) }
        }
        for file in files {
            let target = out.appendingPathComponent(file.split.rawValue).appendingPathComponent(file.path)
            let original = source.appendingPathComponent(file.path)
            do {
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                switch link {
                case .symlink: try manager.createSymbolicLink(at: target, withDestinationURL: original)
                case .copy: try manager.copyItem(at: original, to: target)
                }
            } catch {
                throw .cannotWrite(target.path, reason: error.localizedDescription)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let record = out.appendingPathComponent(Self.recordName)
        do { try encoder.encode(self).write(to: record, options: .atomic) } catch {
            throw .cannotWrite(record.path, reason: error.localizedDescription)
        }
    }
}
