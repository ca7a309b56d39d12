import Foundation
import ImageIO
import Inference
import Testing

/// A novelty check for `key` in the registry at `registryURL` whose nearest class mean lies at
/// distance exactly 1 from `image`'s features (identity whitening), with `threshold`: a check
/// that refuses (threshold < 1) or accepts (> 1) that image, whatever the weights.
func writeNoveltyCheck(registry registryURL: URL, key: String = "small_cnn", around image: RGBImage, threshold: Double) throws {
    let registry = try ModelRegistry(contentsOf: registryURL)
    let entry = try registry.entry(key)
    let classifier = try Classifier(entry: entry, registry: registry, loadingNovelty: false)
    let features = try classifier.penultimateFeatures([InputGate().examine(image).image])[0]
    let d = features.count
    let means = classifier.classes.indices.map { c in features.enumerated().map { $0.offset == 0 ? $0.element + Float(c + 1) : $0.element } }
    let identity = (0..<(d * d)).map { $0 / d == $0 % d ? Float(1) : 0 }
    let model = try NoveltyModel(classes: classifier.classes, featureLayer: "dense", means: means, whitening: identity, threshold: threshold)
    try model.write(to: registry.noveltyURL(entry), network: classifier.network)
}

/// `ecg fit-gate`, and the novelty check in `ecg predict` (single images and batch mode).
@Suite("Novelty check in the CLI", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct NoveltyCommandTests {
    @Test("fit-gate fits on train, sets the threshold on validation, reports test and bank, and writes the sidecar predict uses")
    func fitGate() throws {
        try withTemporaryDirectory { directory in
            // The committed trained small CNN, copied so that its sidecar lands here.
            let weights = directory.appendingPathComponent("weights/small_cnn.safetensors")
            try FileManager.default.createDirectory(at: weights.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("models/trained/small_cnn.safetensors"), to: weights)
            let registry = try smallCNNRegistry(in: directory).path
            let split = directory.appendingPathComponent("split")
            try FileManager.default.createDirectory(at: split, withIntermediateDirectories: true)
            for (name, count) in [("train", 6), ("validation", 4), ("test", 3)] {
                let data = try writeGradientDataSet(in: directory.appendingPathComponent(name), perClass: count)
                try FileManager.default.moveItem(at: data, to: split.appendingPathComponent(name))
            }
            let bank = directory.appendingPathComponent("bank/noise")
            try FileManager.default.createDirectory(at: bank, withIntermediateDirectories: true)
            try ImageEncoder.png(gradientImage(width: 300, height: 200, phase: 99)).write(to: bank.appendingPathComponent("a.png"))

            let dry = try runECG(["fit-gate", "small_cnn", "--data", split.path, "--dry-run", "--models", registry])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("24 training pages, [6, 6, 6, 6] per class, 64 features from `dense`"), "\(dry.stdout)")
            #expect(dry.stdout.contains("of 16 validation pages pass (target 99.0 %)"), "\(dry.stdout)")
            #expect(dry.stdout.contains("test split: "), "\(dry.stdout)")
            let sidecar = directory.appendingPathComponent("weights/small_cnn.gate.safetensors")
            #expect(!FileManager.default.fileExists(atPath: sidecar.path), "--dry-run writes nothing")

            let fit = try runECG(["fit-gate", "small_cnn", "--data", split.path, "--bank", bank.deletingLastPathComponent().path,
                                  "--models", registry])
            #expect(fit.status == 0, "\(fit.stderr)")
            #expect(fit.stdout.contains("16 of 16 validation pages pass") || fit.stdout.contains("100.0 % of 16 validation pages pass"),
                    "\(fit.stdout)")
            #expect(fit.stdout.contains("noise: "), "\(fit.stdout)")
            #expect(FileManager.default.fileExists(atPath: sidecar.path))

            let image = split.appendingPathComponent("test/Normal/0.png").path
            let json = try runECG(["predict", image, "--no-gate", "--json", "--models", registry])
            #expect(json.status == 0, "\(json.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let novelty = try #require((object["page"] as? [String: Any])?["novelty"] as? [String: Any], "\(json.stdout)")
            #expect(novelty["distance"] is Double && novelty["threshold"] is Double)

            let badTarget = try runECG(["fit-gate", "small_cnn", "--data", split.path, "--models", registry, "--target-pass", "0"])
            #expect(badTarget.status != 0 && badTarget.stderr.contains("--target-pass"))
        }
    }

    @Test("A page the novelty check refuses: one error line, exit 1; --no-gate classifies it with a warning")
    func predictRefuses() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory)
            #expect(try runECG(["init-weights", "small_cnn", "--models", registry.path]).status == 0)
            let image = try ImageDecoder.decode(Data(contentsOf: samplePage))
            try writeNoveltyCheck(registry: registry, around: image, threshold: 0.5)

            let refused = try runECG(["predict", samplePage.path, "--models", registry.path])
            #expect(refused.exited && refused.status == 1)
            #expect(refused.stderrLines.count == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("this does not look like the ECG pages this model was trained on (gate score 0.50)"))
            #expect(refused.stderr.contains("novelty distance 1.0, at most 0.5") && refused.stderr.contains("--no-gate"))

            let forced = try runECG(["predict", samplePage.path, "--no-gate", "--json", "--models", registry.path])
            #expect(forced.status == 0, "\(forced.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(forced.stdout.utf8)) as? [String: Any])
            let page = try #require(object["page"] as? [String: Any])
            #expect(page["accepted"] as? Bool == false)
            #expect((page["novelty"] as? [String: Any])?["accepted"] as? Bool == false)

            try writeNoveltyCheck(registry: registry, around: image, threshold: 2)
            let accepted = try runECG(["predict", samplePage.path, "--models", registry.path])
            #expect(accepted.status == 0, "\(accepted.stderr)")
        }
    }

    @Test("Batch mode runs the gate per file: refused files are recorded as refused, not scored, unless --no-gate")
    func batchGate() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory)
            #expect(try runECG(["init-weights", "small_cnn", "--models", registry.path]).status == 0)
            let pages = directory.appendingPathComponent("pages")
            try FileManager.default.createDirectory(at: pages, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: samplePage, to: pages.appendingPathComponent("page.png"))
            try ImageEncoder.png(gradientImage(width: 300, height: 200)).write(to: pages.appendingPathComponent("gradient.png"))
            func run(_ name: String, _ extra: [String] = []) throws -> [String: [String: Any]] {
                let output = directory.appendingPathComponent(name)
                let result = try runECG(["predict", pages.path, "--models", registry.path, "--output", output.path] + extra)
                #expect(result.status == 0, "\(result.stderr)")
                var byFile: [String: [String: Any]] = [:]
                for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
                    let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    byFile[((record["file"] as? String ?? "") as NSString).lastPathComponent] = record
                }
                return byFile
            }

            let gated = try run("gated.jsonl")
            #expect(gated["page.png"]?["status"] as? String == "ok" && gated["page.png"]?["gate"] as? String == "accepted")
            #expect(gated["gradient.png"]?["status"] as? String == "error")
            #expect(gated["gradient.png"]?["gate"] as? String == "not_an_ecg")
            #expect(gated["gradient.png"]?["prediction"] is NSNull, "a refused file is not scored")
            #expect((gated["gradient.png"]?["error"] as? String)?.contains("does not look like a 12-lead ECG page") == true)

            let forced = try run("forced.jsonl", ["--no-gate"])
            #expect(forced["gradient.png"]?["status"] as? String == "ok" && forced["gradient.png"]?["gate"] as? String == "not_an_ecg")

            try writeNoveltyCheck(registry: registry, around: ImageDecoder.decode(Data(contentsOf: samplePage)), threshold: 0.5)
            let novel = try run("novel.jsonl")
            #expect(novel["page.png"]?["status"] as? String == "error")
            #expect(novel["page.png"]?["gate"] as? String == "out_of_distribution")
            #expect((novel["page.png"]?["error"] as? String)?.contains("novelty distance 1.0") == true)
        }
    }
}
