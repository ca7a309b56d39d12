import ArgumentParser
import Datasets
import Foundation

extension ECG {
    /// `ecg audit DIR`: duplicates within and across splits.
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report duplicate images within and across the splits of a data set.",
            discussion: """
                DIR is either a split folder (DIR/<split>/<class>/<image>, as ecg split writes it) or one \
                folder of class folders. Files are the same image when their bytes, their decoded pixels \
                or their perceptual hashes (within --near-threshold bits) agree. With --strict, the exit \
                status is 1 when an image is in more than one split.
                """)

        @Argument(help: ArgumentHelp("The data set folder.", valueName: "dir"))
        var directory: String

        @Flag(help: "Exit with status 1 when a duplicate crosses splits.")
        var strict = false

        @Flag(help: "Print the audit as JSON.")
        var json = false

        @Option(help: "The largest perceptual-hash distance (bits of 1024) counted as a near duplicate.")
        var nearThreshold = DuplicateGroups.defaultNearThreshold

        @Option(help: "How many duplicates crossing splits to list in the table.")
        var show = 20

        func validate() throws {
            guard (0...1024).contains(nearThreshold) else { throw ValidationError("--near-threshold must be in 0...1024") }
        }

        func run() throws {
            let audit = try failingCleanly {
                let root = URL(fileURLWithPath: directory)
                let splits = try DatasetAudit.splits(of: root)
                let fingerprints = try fingerprintWithProgress(splits.flatMap { $0.folder.files.map(\.url) })
                return DatasetAudit(root: root, splits: splits, fingerprints: fingerprints, nearThreshold: nearThreshold)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(audit), as: UTF8.self))
            } else {
                print(audit.table(listing: show))
            }
            if strict && !audit.crossSplit.isEmpty { throw ExitCode.failure }
        }
    }
}

extension DatasetAudit {
    /// Counts per split and class, then the duplicates, leaks listed first.
    func table(listing limit: Int) -> String {
        var lines = ["\(root): \(fileCount) files, \(imageCount) distinct images"]
        let width = max(10, counts.map(\.className.count).max() ?? 0)
        lines.append("split".padding(toLength: 12, withPad: " ", startingAt: 0)
            + "class".padding(toLength: width, withPad: " ", startingAt: 0) + "files".leftPadded(to: 8) + "images".leftPadded(to: 8))
        for count in counts {
            lines.append(count.split.padding(toLength: 12, withPad: " ", startingAt: 0)
                + count.className.padding(toLength: width, withPad: " ", startingAt: 0)
                + "\(count.files)".leftPadded(to: 8) + "\(count.images)".leftPadded(to: 8))
        }
        let within = duplicates.filter { $0.splits.count == 1 }
        let extra = within.reduce(0) { $0 + $1.files.count - 1 }
        lines.append("")
        lines.append("duplicates within one split: \(within.count) images held by \(within.count + extra) files "
            + "(\(within.filter(\.near).count) of them near, not identical)")
        lines.append("duplicates across splits: \(crossSplit.count)" + (crossSplit.isEmpty ? " (no leaks)" : " (LEAKS)"))
        for duplicate in crossSplit.prefix(limit) {
            lines.append("  [\(duplicate.splits.joined(separator: ", "))]\(duplicate.near ? " near" : "") " + duplicate.files.joined(separator: "  "))
        }
        if crossSplit.count > limit { lines.append("  ... \(crossSplit.count - limit) more (--json lists all)") }
        lines.append("duplicates across classes (conflicting labels): \(crossClass.count)")
        for duplicate in crossClass.prefix(limit) { lines.append("  " + duplicate.files.joined(separator: "  ")) }
        lines.append("(near: perceptual-hash distance <= \(nearThreshold) of \(hashBits) bits)")
        return lines.joined(separator: "\n")
    }
}
