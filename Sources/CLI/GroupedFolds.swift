import ArgumentParser
import Datasets
import Foundation

/// The grouped k folds over a folder's cached rows that `ecg cv` and `ecg fit-fusion` share:
/// `ecg split`'s grouping (copies, near duplicates and files sharing a manifest column's value
/// never cross folds), stratified by class, the same folds for the same seed.
struct GroupedFolds {
    /// The rows taking part, in fold order's indexing.
    let rows: [Int]
    let folds: CrossValidationFolds
    /// The distinct image of every row of the folder (not only of `rows`).
    let imageOfRow: [Int]

    /// - Parameters:
    ///   - fingerprints: The folder's files' fingerprints, as a feature cache stored them.
    ///   - manifest: A CSV with `cls` and `file` columns whose `groupColumn` groups files.
    ///   - rows: The folder's rows that take part.
    init(folder: ImageFolder, fingerprints: [ImageFingerprint], manifest: String?, groupColumn: String,
         rows: [Int], k: Int, seed: UInt64) throws {
        let groups = try manifest.map { path in
            (path: path, column: groupColumn,
             values: try Manifest(contentsOf: URL(fileURLWithPath: path)).values(of: groupColumn, path: path))
        }
        let grouping = DatasetSplit(folder: folder, fingerprints: fingerprints,
                                    fractions: SplitFractions(validation: 0, test: 0)!, seed: seed, manifest: groups)
        self.rows = rows
        folds = CrossValidationFolds(
            groupOfFile: rows.map { grouping.files[$0].group }, imageOfFile: rows.map { grouping.files[$0].image },
            labelOfFile: rows.map { folder.files[$0].label }, classCount: folder.classes.count, k: k, seed: seed)
        imageOfRow = grouping.files.map(\.image)
    }

    /// One line on the folds: distinct images, files, and images per fold and class.
    var summary: String {
        "\(folds.k) folds of \(Set(rows.map { imageOfRow[$0] }).count) distinct images (\(rows.count) files); "
            + "distinct images per fold and class: "
            + folds.imagesPerFold.map { $0.map(String.init).joined(separator: "/") }.joined(separator: ", ")
    }

    /// The rows of an `ecg split` record's training and validation files, and of its test files.
    /// - Parameter paths: The folder's files as `class/name`, in row order.
    /// - Throws: `CLIError` when the record is unreadable or lists other files than `paths`.
    static func splitRows(_ path: String, paths: [String], data: String) throws -> (training: [Int], test: [Int]) {
        let url = URL(fileURLWithPath: path)
        guard let bytes = try? Data(contentsOf: url), let split = try? JSONDecoder().decode(DatasetSplit.self, from: bytes) else {
            throw CLIError("\(path) is not a split record written by `ecg split`")
        }
        let test = Set(split.files(in: .test).map(\.path))
        guard Set(split.files.map(\.path)) == Set(paths) else {
            throw CLIError("\(path) does not list exactly the files of \(data)")
        }
        return (paths.indices.filter { !test.contains(paths[$0]) }, paths.indices.filter { test.contains(paths[$0]) })
    }
}

/// `--manifest`, `--group-column`, `--folds` and `--seed`, as `ecg cv` and `ecg fit-fusion` take them.
struct FoldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A CSV with cls and file columns (the shared manifest.csv), for the folds' groups.", valueName: "csv"))
    var manifest: String?

    @Option(help: ArgumentHelp("The manifest column whose equal values stay in one fold.", valueName: "name"))
    var groupColumn = "header_id"

    @Option(help: "Folds.")
    var folds = 5

    @Option(help: "Orders equally sized groups when assigning folds; the same seed gives the same folds.")
    var seed: UInt64 = 0

    func validate() throws {
        guard (2...50).contains(folds) else { throw ValidationError("--folds must be 2-50") }
    }

    /// The folds over `rows` of `folder` (whose files a cache fingerprinted).
    func grouped(folder: ImageFolder, fingerprints: [ImageFingerprint], rows: [Int]) throws -> GroupedFolds {
        try GroupedFolds(folder: folder, fingerprints: fingerprints, manifest: manifest, groupColumn: groupColumn,
                         rows: rows, k: folds, seed: seed)
    }
}
