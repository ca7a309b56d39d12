import ArgumentParser
import Datasets
import Foundation

extension ECG {
    /// `ecg merge-results PART... --output FILE`: joins the outputs of a sharded (or repeated)
    /// `ecg predict --output` job into one file, one record per image, sorted by file.
    struct MergeResults: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge-results",
            abstract: "Merge the JSON lines or CSV outputs of sharded `ecg predict --output` runs.",
            discussion: """
                Keeps one record per file (a successful one over a failure), sorted by file. Each part's format \
                follows its extension (.csv, else JSON lines), as does the output's. Warns about files scored \
                by more than one part, which a correct sharding never produces.
                """)

        @Argument(help: ArgumentHelp("The parts to merge.", valueName: "part"))
        var parts: [String]

        @Option(help: ArgumentHelp("The merged file (replaced if it exists).", valueName: "file"))
        var output: String

        func validate() throws {
            if parts.isEmpty { throw ValidationError("give at least one part") }
            if parts.contains(output) { throw ValidationError("the output \(output) is also a part: write to another file") }
        }

        func run() throws {
            try failingCleanly {
                var records: [BatchRecord] = []
                for part in parts {
                    guard FileManager.default.fileExists(atPath: part) else { throw CLIError("\(part): no such file") }
                    records += try BatchResults.read(part, format: BatchFormat(path: part))
                }
                let models = Set(records.map(\.model))
                guard models.count <= 1 else {
                    throw CLIError("the parts hold results of several models (\(models.sorted().joined(separator: ", "))): merge each model's parts apart")
                }
                let (merged, twice) = BatchResults.merge(records)
                // Written next to the output, then renamed over it: a reader never sees half a file.
                let temporary = output + ".partial"
                try? FileManager.default.removeItem(atPath: temporary)
                let classes = Array(Set(merged.flatMap(\.classes))).sorted()
                let writer = try BatchResultsWriter(path: temporary, format: BatchFormat(path: output), classes: classes)
                for record in merged { try writer.append(record) }
                try writer.synchronize()
                guard rename(temporary, output) == 0 else {
                    throw CLIError("cannot write \(output): \(String(cString: strerror(errno)))")
                }
                let failures = merged.filter { $0.status == .error }.count
                note("merged \(parts.count) parts into \(output): \(merged.count) files, \(failures) failed")
                if !twice.isEmpty {
                    note("warning: \(twice.count) files were scored by more than one part (first: \(twice[0])); the first record was kept")
                }
            }
        }
    }
}
