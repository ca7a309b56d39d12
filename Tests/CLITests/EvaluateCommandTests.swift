import Foundation
import ImageIO
import Testing

/// `ecg evaluate` end to end, on a small generated data set with untrained small-CNN weights.
@Suite("ecg evaluate", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct EvaluateCommandTests {
    /// A registry with random small-CNN weights, and `data/<class>/<n>.png`, three PNGs per class.
    private func withDataSet(_ body: (_ registry: String, _ data: URL, _ directory: URL) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            let initialise = try runECG(["init-weights", "small_cnn", "--models", registry])
            #expect(initialise.status == 0, "\(initialise.stderr)")
            try body(registry, try writeGradientDataSet(in: directory, perClass: 3), directory)
        }
    }

    private func json(_ run: ECGRun) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    @Test("Prints the table, writes evaluation.json and a self-contained report.html, says UNTRAINED")
    func table() throws {
        try withDataSet { registry, data, directory in
            let out = directory.appendingPathComponent("out")
            let run = try runECG(["evaluate", "small_cnn", "--data", data.path, "--models", registry, "--out", out.path,
                                  "--bootstrap", "100"])
            #expect(run.exited && run.status == 0, "\(run.stderr)")
            for name in ecgClasses { #expect(run.stdout.contains(name)) }
            #expect(run.stdout.contains("12 distinct images (12 files)") && run.stdout.contains("UNTRAINED"))
            #expect(run.stdout.contains("macro-F1") && run.stdout.contains("not a medical device"))

            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("evaluation.json"))) as? [String: Any]
            #expect(report?["image_count"] as? Int == 12)
            #expect((report?["images"] as? [Any])?.count == 12)
            let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
            #expect(html.contains("<svg") && html.contains("UNTRAINED MODEL"))
            let markdown = try String(contentsOf: out.appendingPathComponent("evaluation.md"), encoding: .utf8)
            #expect(markdown.contains("| **macro-F1** |"))
            #expect(!html.contains("http://") && !html.contains("https://"))
        }
    }

    @Test("--crop-box, --crop and --no-crop set the crop the model reads, and it changes its answers")
    func crop() throws {
        try withDataSet { registry, data, directory in
            func evaluate(_ flags: [String]) throws -> [String: Any] {
                let run = try runECG(["evaluate", "small_cnn", "--data", data.path, "--models", registry, "--json",
                                      "--bootstrap", "0", "--out", directory.appendingPathComponent("out").path] + flags)
                #expect(run.status == 0, "\(run.stderr)")
                return try json(run)
            }
            func crop(_ report: [String: Any]) -> String? { (report["model"] as? [String: Any])?["crop"] as? String }
            func firstProbabilities(_ report: [String: Any]) -> [Double] {
                ((report["images"] as? [[String: Any]])?.first?["probabilities"] as? [Double]) ?? []
            }
            let whole = try evaluate([]), box = try evaluate(["--crop-box", "0.25,0.25,0.75,0.75"])
            #expect(crop(whole) == nil && crop(box) == "0.25,0.25,0.75,0.75")
            #expect(crop(try evaluate(["--crop"])) == "0.03,0.18,0.98,0.96")
            #expect(crop(try evaluate(["--no-crop"])) == nil)
            #expect(firstProbabilities(whole).count == 4 && firstProbabilities(whole) != firstProbabilities(box))
        }
    }

    @Test("A training log puts curves in the report; an unreadable image is listed, skipped, and exits 1; other folders are named")
    func logAndUnreadable() throws {
        try withDataSet { registry, data, directory in
            let log = try write("""
                {"epoch": 1, "split": "train", "loss": 1.3, "accuracy": 0.4, "learning_rate": 0.001, "images_per_second": 50, "elapsed_s": 10, "phase": "all"}
                {"epoch": 1, "split": "val", "loss": 1.2, "accuracy": 0.45, "learning_rate": 0.001, "images_per_second": 90, "elapsed_s": 11, "phase": "all"}
                """, to: "train.jsonl", in: directory)
            try write("not an image", to: "data/Normal/broken.png", in: directory)
            try ImageEncoder.png(gradientImage(width: 8, height: 8)).write(to: data.appendingPathComponent("unlisted.png"))
            try FileManager.default.createDirectory(at: data.appendingPathComponent("Other"), withIntermediateDirectories: true)
            try ImageEncoder.png(gradientImage(width: 8, height: 8)).write(to: data.appendingPathComponent("Other/x.png"))
            let out = directory.appendingPathComponent("out")
            let run = try runECG(["evaluate", "small_cnn", "--data", data.path, "--models", registry, "--out", out.path,
                                  "--training-log", log.path, "--json", "--bootstrap", "0"])
            #expect(run.exited && run.status == 1)
            #expect(run.stderrLines == ["warning: \(data.path)/Other skipped: not one of small_cnn's classes",
                                        "error: \(data.path)/Normal/broken.png: the data is not a JPEG or PNG image"], "\(run.stderr)")
            let report = try json(run)
            #expect(report["image_count"] as? Int == 12 && (report["unreadable"] as? [Any])?.count == 1)
            #expect((report["training_log"] as? [Any])?.count == 2)
            let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
            #expect(html.contains("Training curves") && html.contains("<polyline"))
        }
    }

    @Test("Bad arguments and data fail with one line and no crash", arguments: [
        (["--data", "/nonexistent/data"], "is not a folder", Int32(1)),
        (["--data", "DATA", "--crop-box", "0.5,0,0.4,1"], "--crop-box", Int32(64)),
        (["--data", "DATA", "--crop-box", "0,0,1,1", "--no-crop"], "not both", Int32(64)),
        (["--data", "DATA", "--bootstrap", "-1"], "--bootstrap", Int32(64)),
        (["--data", "DATA", "--training-log", "/nonexistent/log.jsonl"], "cannot read the training log", Int32(1)),
        (["--data", "DATA/Normal"], "has no folder for class Abnormal_Heartbeat", Int32(1)),
    ])
    func badInput(flags: [String], message: String, status: Int32) throws {
        try withDataSet { registry, data, _ in
            let arguments = flags.map { $0.replacingOccurrences(of: "DATA", with: data.path) }
            let run = try runECG(["evaluate", "small_cnn", "--models", registry] + arguments)
            #expect(run.exited && run.status == status, "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(status == 64 || run.stderrLines.count == 1)
        }
    }
}

@Suite("ecg evaluate on real ECG images", .enabled(
    if: FileManager.default.fileExists(atPath: datasetDirectory.path),
    "no data set at ../shared/data/ecg-khan-2021"), .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct EvaluateRealImagesTests {
    @Test("Four real pages per class, untrained small CNN, with and without crop-to-trace; duplicates count once")
    func realPages() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            #expect(try runECG(["init-weights", "small_cnn", "--models", registry]).status == 0)
            // The manifest's duplicate group of each file: MI(10).jpg and MI(100).jpg are one picture.
            let manifest = try String(contentsOf: datasetDirectory.appendingPathComponent("manifest.csv"), encoding: .utf8)
            let rows = manifest.split(whereSeparator: \.isNewline)
            let header = rows.first?.split(separator: ",").map(String.init) ?? []
            let fileColumn = try #require(header.firstIndex(of: "file")), groupColumn = try #require(header.firstIndex(of: "dup_group"))
            let groupOf = Dictionary(rows.dropFirst().map { line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return (cells[fileColumn], cells[groupColumn])
            }, uniquingKeysWith: { first, _ in first })
            var groups = Set<String>()
            let data = directory.appendingPathComponent("data")
            for name in ecgClasses {
                let source = datasetDirectory.appendingPathComponent(name), target = data.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted().prefix(4) {
                    groups.insert(try #require(groupOf[file], "\(file) is not in the manifest"))
                    try FileManager.default.createSymbolicLink(
                        at: target.appendingPathComponent(file), withDestinationURL: source.appendingPathComponent(file))
                }
            }
            for crop in ["--crop", "--no-crop"] {
                let out = directory.appendingPathComponent(crop)
                let run = try runECG(["evaluate", "small_cnn", "--data", data.path, "--models", registry, crop,
                                      "--out", out.path, "--json", "--bootstrap", "100"])
                #expect(run.exited && run.status == 0, "\(run.stderr)")
                let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                #expect(report["file_count"] as? Int == 16)
                #expect(report["image_count"] as? Int == groups.count && groups.count < 16)
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path))
            }
        }
    }
}
