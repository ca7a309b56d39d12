import Foundation
import Testing

/// `ecg calibrate-int8` end to end on the committed MobileNetV2 weights and a few generated pages,
/// and `ecg evaluate --precision int8 --int8-calibration` reading what it wrote.
@Suite("ecg calibrate-int8", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct CalibrateInt8CommandTests {
    /// A registry whose `mobilenetv2` reads the committed weights in place (at `inputSize` pixels),
    /// and `data/<class>/0.png` ... `perClass - 1`.
    private func withModel(inputSize: Int = 224, perClass: Int = 1,
                           _ body: (_ registry: String, _ data: URL, _ directory: URL) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            let weights = repositoryRoot.appendingPathComponent("models/trained/mobilenetv2.safetensors").path
            let registry = try write("""
                {"models": [{"key": "mobilenetv2", "architecture": "mobilenetv2", "weights": "\(weights)",
                  "input_size": \(inputSize), "preprocessing": "standard", "resize": "bicubic"}]}
                """, to: "models.json", in: directory)
            try body(registry.path, try writeGradientDataSet(in: directory, perClass: perClass), directory)
        }
    }

    @Test("Writes one ratio per convolution and the bar, prints the table; evaluate runs int8 with it")
    func calibrates() throws {
        try withModel { registry, data, directory in
            let file = directory.appendingPathComponent("mb.int8.json")
            let run = try runECG(["calibrate-int8", "mobilenetv2", "--data", data.path, "--models", registry, "--out", file.path,
                                  "--min-snr", "38"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("block_16_project/kernel") && run.stdout.contains("fp32 (thin layer"))
            #expect(run.stdout.contains("of 35 convolutions (at or above 38.0 dB)"), "\(run.stdout)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            #expect(json["format"] as? String == "ecglens-int8-calibration" && json["model"] as? String == "mobilenetv2")
            #expect(json["images"] as? Int == 4 && json["minimum_signal_to_noise_db"] as? Double == 38)
            #expect((json["signal_to_noise_db"] as? [String: Any])?.count == 35)
            #expect(json["data"] as? String == "data", "the folder's name, not its path")

            // On the portable kernels int8 runs on any CPU; evaluate then compares it with fp32.
            let out = directory.appendingPathComponent("out")
            let evaluate = try runECG(["evaluate", "mobilenetv2", "--data", data.path, "--models", registry, "--bootstrap", "0",
                                       "--precision", "int8", "--int8-calibration", file.path, "--out", out.path],
                                      environment: ["ECG_KERNELS": "portable"])
            #expect(evaluate.status == 0, "\(evaluate.stderr)")
            #expect(evaluate.stdout.contains("int8 against fp32 on the same 4 files: macro-F1 "), "\(evaluate.stdout)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("evaluation.json"))) as? [String: Any])
            let change = try #require(report["precision_change"] as? [String: Any])
            #expect(change["precision"] as? String == "int8" && change["files"] as? Int == 4)
            #expect((change["largest_probability_change"] as? Double).map { (0...1).contains($0) } == true)
            #expect((report["model"] as? [String: Any])?["precision"] as? String == "int8")

            // ecg bench times the calibrated model: its layers below the bar in fp32.
            let bench = try runECG(["bench", "--architectures", "mobilenetv2", "--batches", "1", "--runs", "1", "--warmup", "0",
                                    "--kernels", "portable", "--precision", "int8", "--int8-calibration", file.path, "--json"])
            #expect(bench.status == 0 && bench.stdout.contains(#""precision" : "int8""#), "\(bench.stderr)")
            let mismatch = try runECG(["bench", "--architectures", "small_cnn", "--batches", "1", "--precision", "int8",
                                       "--int8-calibration", file.path])
            #expect(mismatch.status == 1 && mismatch.stderr.contains("calibrates none of small_cnn's convolutions"), "\(mismatch.stderr)")
            let several = try runECG(["bench", "--precision", "int8", "--int8-calibration", file.path])
            #expect(several.status != 0 && several.stderr.contains("exactly one"), "\(several.stderr)")
        }
    }

    @Test("--limit takes its images spread over the classes, not the first class's first files")
    func limitSpreadsOverClasses() throws {
        try withModel(inputSize: 64, perClass: 2) { registry, data, directory in
            let file = directory.appendingPathComponent("mb.int8.json")
            let run = try runECG(["calibrate-int8", "mobilenetv2", "--data", data.path, "--models", registry,
                                  "--out", file.path, "--limit", "4"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("calibrating on 4 of 8 images, per class Abnormal_Heartbeat 1, "
                                        + "History_Myocardial_Infarction 1, Myocardial_Infarction 1, Normal 1"), "\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            #expect(json["images"] as? Int == 4)
        }
    }

    @Test("Refuses a missing data folder, a bad --limit and, in evaluate, a file that is not a calibration, with one line naming it")
    func refusals() throws {
        try withModel { registry, data, directory in
            let noData = try runECG(["calibrate-int8", "mobilenetv2", "--data", "/nonexistent/data", "--models", registry])
            #expect(noData.status != 0 && noData.stderr.contains("/nonexistent/data"))
            let limit = try runECG(["calibrate-int8", "mobilenetv2", "--data", data.path, "--models", registry, "--limit", "-1"])
            #expect(limit.status != 0 && limit.stderr.contains("--limit"))
            let bogus = try write("{}", to: "bogus.json", in: directory)
            let evaluate = try runECG(["evaluate", "mobilenetv2", "--data", data.path, "--models", registry, "--bootstrap", "0",
                                       "--precision", "int8", "--int8-calibration", bogus.path])
            #expect(evaluate.status == 1 && evaluate.stderrLines.count == 1 && evaluate.stderr.contains(bogus.path), "\(evaluate.stderr)")
        }
    }
}
