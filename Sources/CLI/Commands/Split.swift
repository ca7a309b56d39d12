import ArgumentParser
import Datasets
import Foundation

extension ECG {
    /// `ecg split DIR --out Data`: a leakage-safe, stratified train/validation/test split.
    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split a folder of class folders into train, validation and test, duplicates on one side.",
            discussion: """
                Files showing the same image (identical bytes, identical decoded pixels, or perceptual \
                hashes within --near-threshold bits) always land in the same split, as do files sharing \
                a value in a manifest column (--manifest CSV --group-column header_id). Each class's \
                distinct images are spread over the splits by the fractions. Writes OUT/<split>/<class>/ \
                (symbolic links by default; source files are never moved or deleted) and OUT/split.json.
                """)

        @Argument(help: ArgumentHelp("A folder with one sub-folder of images per class.", valueName: "dir"))
        var directory: String

        @Option(help: ArgumentHelp("The output folder.", valueName: "dir"))
        var out = "Data"

        @Option(name: .customLong("val"), help: "The validation share of each class's distinct images.")
        var validation = 0.15

        @Option(help: "The test share of each class's distinct images.")
        var test = 0.2

        @Option(help: "Orders equally sized groups; the same seed gives the same split.")
        var seed: UInt64 = 0

        @Option(help: ArgumentHelp("A CSV with cls and file columns (the shared manifest.csv).", valueName: "csv"))
        var manifest: String?

        @Option(help: ArgumentHelp("The manifest column whose equal values stay on one side.", valueName: "name"))
        var groupColumn = "header_id"

        @Option(help: "symlink or copy.")
        var link: SplitLink = .symlink

        @Option(help: "The largest perceptual-hash distance (bits of 1024) counted as a near duplicate.")
        var nearThreshold = DuplicateGroups.defaultNearThreshold

        @Flag(help: "Replace an earlier split's folders and split.json in the output folder.")
        var force = false

        func validate() throws {
            guard SplitFractions(validation: validation, test: test) != nil else {
                throw ValidationError("--val and --test must be in 0..<1 and leave a share for training")
            }
            guard (0...1024).contains(nearThreshold) else { throw ValidationError("--near-threshold must be in 0...1024") }
            let source = URL(fileURLWithPath: directory).standardizedFileURL.path
            let output = URL(fileURLWithPath: out).standardizedFileURL.path
            guard output != source, !output.hasPrefix(source + "/") else {
                throw ValidationError("--out must not be inside the folder being split")
            }
        }

        func run() throws {
            try failingCleanly {
                let folder = try ImageFolder(directory: URL(fileURLWithPath: directory))
                let groups = try manifest.map { path in
                    let url = URL(fileURLWithPath: path)
                    return (path: url.standardizedFileURL.path, column: groupColumn,
                            values: try Manifest(contentsOf: url).values(of: groupColumn, path: path))
                }
                let fingerprints = try fingerprintWithProgress(folder.files.map(\.url))
                let split = DatasetSplit(folder: folder, fingerprints: fingerprints,
                                         fractions: SplitFractions(validation: validation, test: test)!, seed: seed,
                                         nearThreshold: nearThreshold, manifest: groups)
                let output = URL(fileURLWithPath: out)
                try split.write(to: output, link: link, replacing: force)
                print(split.summary)
                print("Wrote \(output.path)/{\(split.counts.keys.sorted { SplitName(rawValue: $0)! < SplitName(rawValue: $1)! }.joined(separator: ","))} and \(output.appendingPathComponent(DatasetSplit.recordName).path)")
            }
        }
    }
}

extension SplitLink: ExpressibleByArgument {}

extension DatasetSplit {
    /// The duplicates found and a table of files and distinct images per class and split.
    var summary: String {
        var lines = ["\(files.count) files, \(imageCount) distinct images, \(groupCount) groups kept on one side"
            + (groupColumn.map { " (duplicates joined by manifest column \($0))" } ?? "")]
        lines.append("duplicates: \(identicalFiles) identical files, \(identicalPixels) identical pixels only, "
            + "\(nearPairs.count) near-duplicate pairs (hash distance <= \(nearThreshold) of \(hashBits) bits; "
            + "closest distinct pair \(smallestDistinctDistance.map(String.init) ?? "-"))")
        let splits = SplitName.allCases.filter { counts[$0.rawValue] != nil }
        let width = max(10, classes.map(\.count).max() ?? 0)
        lines.append("class".padding(toLength: width, withPad: " ", startingAt: 0)
            + splits.map { "  " + "\($0.rawValue) files/images".leftPadded(to: 24) }.joined())
        for name in classes + ["total"] {
            let cells = splits.map { split in
                let count = name == "total"
                    ? counts[split.rawValue]!.values.reduce(into: Count()) { $0.files += $1.files; $0.images += $1.images }
                    : counts[split.rawValue]![name]!
                return "  " + "\(count.files)/\(count.images)".leftPadded(to: 24)
            }
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + cells.joined())
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// Fingerprints the files on every core, with a progress line on standard error.
func fingerprintWithProgress(_ urls: [URL]) throws -> [ImageFingerprint] {
    let started = Date()
    let fingerprints = try ImageFingerprint.compute(urls) { done in
        guard done % 25 == 0 || done == urls.count else { return }
        let bar = String(repeating: "█", count: 30 * done / max(urls.count, 1)).padding(toLength: 30, withPad: "·", startingAt: 0)
        FileHandle.standardError.write(Data("\rhashing \(bar) \(done)/\(urls.count)".utf8))
    }
    FileHandle.standardError.write(Data(String(format: "\rhashed %d images in %.1f s%@\n", urls.count,
                                               Date().timeIntervalSince(started), String(repeating: " ", count: 30)).utf8))
    return fingerprints
}
