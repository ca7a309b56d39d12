import Foundation
import Testing

/// `ecg predict --output` (batch mode) and `ecg merge-results`, run as subprocesses with the
/// committed trained small CNN on copies of the sample pages.
@Suite("Batch scoring", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct BatchScoringTests {
    let registry = repositoryRoot.appendingPathComponent("models/models.json").path

    /// A tree of `count` links to the four sample pages, two folders deep, plus a hidden file and a
    /// non-image that the folder walk must skip. Returns the tree's folder.
    func pageTree(_ count: Int, in directory: URL) throws -> URL {
        let tree = directory.appendingPathComponent("pages")
        let samples = ["Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal"].map {
            repositoryRoot.appendingPathComponent("samples/\($0)/synthetic-1.png")
        }
        for index in 0..<count {
            let folder = tree.appendingPathComponent("site-\(index % 3)/day-\(index % 2)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                at: folder.appendingPathComponent(String(format: "page-%03d.png", index)), withDestinationURL: samples[index % 4])
        }
        try write("hidden", to: ".hidden/x.png", in: tree)
        try write("notes", to: "site-0/readme.txt", in: tree)
        return tree
    }

    func records(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// Each record's file, with its status, prediction and probabilities (for comparing runs).
    func summary(_ records: [[String: Any]]) -> [String: Answer] {
        var result: [String: Answer] = [:]
        for record in records {
            result[record["file"] as! String] = Answer(
                status: record["status"] as? String ?? "-", prediction: record["prediction"] as? String ?? "-",
                probabilities: record["probabilities"] as? [String: Double] ?? [:])
        }
        return result
    }

    /// One file's answer. Equal when the probabilities agree to 1e-5: a page's probabilities can
    /// move in the last float bits with the size of the batch it was scored in.
    struct Answer: Equatable, CustomStringConvertible {
        let status: String, prediction: String, probabilities: [String: Double]

        static func == (a: Answer, b: Answer) -> Bool {
            a.status == b.status && a.prediction == b.prediction && Set(a.probabilities.keys) == Set(b.probabilities.keys)
                && a.probabilities.allSatisfy { abs($0.value - b.probabilities[$0.key]!) <= 1e-5 }
        }

        var description: String { "\(status) \(prediction) \(probabilities.sorted { $0.key < $1.key })" }
    }

    @Test("A folder and a list file are scored into JSON lines; bad files become error records, not a failure")
    func scoresWithPerFileErrors() throws {
        try withTemporaryDirectory { directory in
            let tree = try pageTree(6, in: directory)
            let fake = try write("not an image", to: "fake.png", in: directory).path
            let list = try write("# pages\n\(fake)\n\n\(directory.path)/absent.png\n\(tree.path)/site-0/day-0/page-000.png\n",
                                 to: "list.txt", in: directory).path
            let output = directory.appendingPathComponent("out.jsonl")
            let run = try runECG(["predict", tree.path, "--list", list, "--model", "small_cnn", "--models", registry,
                                  "--output", output.path])
            #expect(run.exited && run.status == 0, "\(run.stderr)")
            let lines = try records(output)
            #expect(lines.count == 8, "6 pages (one also listed) + fake + absent: \(lines.count)")
            #expect(Set(lines.map { $0["file"] as! String }).count == lines.count, "a file scored twice")
            for line in lines {
                let file = line["file"] as! String
                #expect(line["model"] as? String == "small_cnn")
                #expect(line.keys.contains("gate"), "no place for the gate's verdict")
                if file == fake || file.hasSuffix("absent.png") {
                    #expect(line["status"] as? String == "error" && (line["error"] as? String)?.isEmpty == false, "\(line)")
                } else {
                    #expect(line["status"] as? String == "ok" && line["trained"] as? Bool == true, "\(line)")
                    let probabilities = try #require(line["probabilities"] as? [String: Double])
                    #expect(Set(probabilities.keys) == Set(ecgClasses))
                    #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
                    #expect(line["prediction"] as? String == probabilities.max { $0.value < $1.value }?.key)
                    #expect(line["inference_ms"] is Double && line["decode_ms"] is Double)
                }
            }
            #expect(run.stderr.contains("2 failed"), "\(run.stderr)")
            // The same page under two paths gets the same answer.
            let byFile = summary(lines)
            #expect(byFile["\(tree.path)/site-0/day-0/page-000.png"] == byFile["\(tree.path)/site-1/day-0/page-004.png"])
        }
    }

    @Test("A rerun after a torn last line scores only what is missing, and the result equals one clean run")
    func resumesAfterPartialOutput() throws {
        try withTemporaryDirectory { directory in
            let tree = try pageTree(10, in: directory)
            let arguments = ["predict", tree.path, "--model", "small_cnn", "--models", registry, "--batch-size", "3"]
            let clean = directory.appendingPathComponent("clean.jsonl")
            #expect(try runECG(arguments + ["--output", clean.path]).status == 0)

            // A killed run's output: four complete records and half of a fifth.
            let cleanLines = try String(contentsOf: clean, encoding: .utf8).split(separator: "\n").map(String.init)
            let partial = directory.appendingPathComponent("partial.jsonl")
            let kept = cleanLines.prefix(4).joined(separator: "\n") + "\n"
            try Data((kept + cleanLines[4].prefix(30)).utf8).write(to: partial)

            let rerun = try runECG(arguments + ["--output", partial.path])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stderr.contains("scoring 6 of 10 files"), "\(rerun.stderr)")
            let resumed = try String(contentsOf: partial, encoding: .utf8)
            #expect(resumed.hasPrefix(kept), "records already written were changed")
            #expect(try summary(records(partial)) == summary(records(clean)))
            #expect(try records(partial).count == 10)

            let again = try runECG(arguments + ["--output", partial.path])
            #expect(again.status == 0 && again.stderr.contains("scoring 0 of 10 files"), "\(again.stderr)")
            #expect(try records(partial).count == 10)
        }
    }

    @Test("A run killed part way loses nothing it wrote, and the rerun completes it")
    func resumesAfterKill() throws {
        try withTemporaryDirectory { directory in
            let tree = try pageTree(60, in: directory)
            let output = directory.appendingPathComponent("out.jsonl")
            let arguments = ["predict", tree.path, "--model", "small_cnn", "--models", registry, "--batch-size", "2",
                             "--output", output.path]
            let process = try startECG(arguments, environment: [:])
            // Kill it once some records are on disk.
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline {
                if let text = try? String(contentsOf: output, encoding: .utf8), text.split(separator: "\n").count >= 3 { break }
                usleep(20_000)
            }
            let killedEarly = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let before = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            let written = before.split(separator: "\n").count
            #expect(written >= 3, "no records were written before the kill")

            let rerun = try runECG(arguments)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let after = try String(contentsOf: output, encoding: .utf8)
            let complete = before.lastIndex(of: "\n").map { String(before[...$0]) } ?? ""
            #expect(after.hasPrefix(complete), "records written before the kill were changed")
            let lines = try records(output)
            #expect(lines.count == 60 && Set(lines.map { $0["file"] as! String }).count == 60)
            #expect(lines.allSatisfy { $0["status"] as? String == "ok" })
            if killedEarly { #expect(rerun.stderr.contains("of 60 files") && !rerun.stderr.contains("scoring 60 of 60")) }
        }
    }

    @Test("Three shards run as separate processes give a single run's results, no file twice, and merge back")
    func shardsMatchASingleRun() throws {
        try withTemporaryDirectory { directory in
            let tree = try pageTree(14, in: directory)
            let list = try write((0..<14).map { "\(tree.path)/site-\($0 % 3)/day-\($0 % 2)/" + String(format: "page-%03d.png", $0) }
                .reversed().joined(separator: "\n"), to: "list.txt", in: directory).path
            let base = ["predict", "--list", list, "--model", "small_cnn", "--models", registry]
            let single = directory.appendingPathComponent("single.jsonl")
            #expect(try runECG(base + ["--output", single.path]).status == 0)

            // Shards 0 and 1 by --shard, shard 2 as a Kubernetes Indexed Job pod would see it.
            let parts = (0..<3).map { directory.appendingPathComponent("part-\($0).jsonl") }
            let processes = try (0..<3).map { index in
                index < 2
                    ? try startECG(base + ["--shard", "\(index)/3", "--output", parts[index].path], environment: [:])
                    : try startECG(base + ["--output", parts[index].path],
                                   environment: ["JOB_COMPLETION_INDEX": "2", "ECG_SHARD_COUNT": "3"])
            }
            for process in processes {
                process.waitUntilExit()
                #expect(process.terminationReason == .exit && process.terminationStatus == 0)
            }
            let shardFiles = try parts.map { try records($0).map { $0["file"] as! String } }
            #expect(shardFiles.allSatisfy { $0.count >= 4 && $0.count <= 5 }, "unbalanced: \(shardFiles.map(\.count))")
            let union = shardFiles.flatMap { $0 }
            #expect(union.count == 14 && Set(union).count == 14, "a file scored twice or missed")
            var combined: [String: Answer] = [:]
            for part in parts { combined.merge(try summary(records(part))) { first, _ in first } }
            #expect(combined == (try summary(records(single))))

            let merged = directory.appendingPathComponent("merged.csv")
            let merge = try runECG(["merge-results"] + parts.map(\.path) + ["--output", merged.path])
            #expect(merge.status == 0 && !merge.stderr.contains("warning"), "\(merge.stderr)")
            let rows = try String(contentsOf: merged, encoding: .utf8).split(separator: "\n")
            #expect(rows.count == 15)
            #expect(rows.first.map(String.init) == "file,model,trained,status,prediction,gate,"
                + ecgClasses.map { "p_\($0)" }.joined(separator: ",") + ",decode_ms,preprocess_ms,inference_ms,error")
            let files = rows.dropFirst().map { String($0.split(separator: ",")[0]) }
            #expect(files == files.sorted() && Set(files) == Set(union))

            // Merging a part twice is reported.
            let twice = try runECG(["merge-results", parts[0].path, parts[0].path, "--output", merged.path])
            #expect(twice.status == 0 && twice.stderr.contains("warning"), "\(twice.stderr)")
        }
    }

    @Test("CSV output resumes too")
    func csvResumes() throws {
        try withTemporaryDirectory { directory in
            let tree = try pageTree(5, in: directory)
            let output = directory.appendingPathComponent("out.csv")
            let arguments = ["predict", tree.path, "--model", "small_cnn", "--models", registry, "--output", output.path]
            #expect(try runECG(arguments).status == 0)
            let full = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            #expect(full.count == 6)
            try Data((full.prefix(3).joined(separator: "\n") + "\n" + full[3].prefix(10)).utf8).write(to: output)
            let rerun = try runECG(arguments)
            #expect(rerun.status == 0 && rerun.stderr.contains("scoring 3 of 5 files"), "\(rerun.stderr)")
            let after = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            #expect(after.count == 6 && Set(after.map { $0.split(separator: ",")[0] }).count == 6)
        }
    }

    @Test("Bad batch arguments fail with one line", arguments: [
        ["--shard", "3/3"], ["--shard", "x"], ["--format", "xml"], ["--decoders", "0"],
    ])
    func badArguments(_ extra: [String]) throws {
        try withTemporaryDirectory { directory in
            let run = try runECG(["predict", samplePage.path, "--models", registry, "--output",
                                  directory.appendingPathComponent("o.jsonl").path] + extra)
            #expect(run.exited && run.status != 0)
            #expect(!run.stderr.isEmpty && run.stdout.isEmpty)
        }
    }

    @Test("An output of another model is refused, not mixed")
    func refusesOtherModelsOutput() throws {
        try withTemporaryDirectory { directory in
            let output = directory.appendingPathComponent("o.jsonl")
            #expect(try runECG(["predict", samplePage.path, "--model", "small_cnn", "--models", registry,
                                "--output", output.path]).status == 0)
            let other = try runECG(["predict", samplePage.path, "--model", "mobilenetv2", "--models", registry,
                                    "--output", output.path])
            #expect(other.exited && other.status == 1 && other.stderr.contains("small_cnn"), "\(other.stderr)")
        }
    }

    @Test("A folder without --output is a usage error")
    func folderNeedsOutput() throws {
        let run = try runECG(["predict", repositoryRoot.appendingPathComponent("samples").path])
        #expect(run.exited && run.status != 0 && run.stderr.contains("--output"))
    }
}

/// Starts `ecg` with `arguments` and extra `environment` variables, without waiting; its output
/// is discarded.
func startECG(_ arguments: [String], environment: [String: String]) throws -> Process {
    guard let executable = ecgExecutable else { throw CocoaError(.fileNoSuchFile) }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}
