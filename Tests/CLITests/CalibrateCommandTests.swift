import Checkpoints
import Foundation
import Testing

/// `ecg calibrate` end to end on a copy of the committed Small CNN weights and a small generated
/// data set, and how `ecg evaluate` and `ecg predict` use the fit.
@Suite("ecg calibrate", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct CalibrateCommandTests {
    /// A registry whose `small_cnn` is a copy of `models/trained/small_cnn.safetensors`, and
    /// `data/<class>/<n>.png`, four gradient PNGs per class.
    private func withTrainedModel(_ body: (_ registry: String, _ weights: URL, _ data: URL) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            let weights = directory.appendingPathComponent("weights/small_cnn.safetensors")
            try FileManager.default.createDirectory(at: weights.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("models/trained/small_cnn.safetensors"), to: weights)
            try body(registry, weights, try writeGradientDataSet(in: directory, perClass: 4))
        }
    }

    /// The bytes after the safetensors header: every tensor.
    private func tensorBytes(_ url: URL) throws -> Data {
        let bytes = try Data(contentsOf: url)
        let headerEnd = 8 + Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        return bytes.subdata(in: headerEnd..<bytes.count)
    }

    @Test("Writes the temperature and threshold into the metadata, tensors byte for byte; evaluate and predict use them")
    func calibrates() throws {
        try withTrainedModel { registry, weights, data in
            let tensors = try tensorBytes(weights)
            let original = try Data(contentsOf: weights)
            let dry = try runECG(["calibrate", "small_cnn", "--data", data.path, "--models", registry, "--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(try Data(contentsOf: weights) == original, "--dry-run writes nothing")

            let run = try runECG(["calibrate", "small_cnn", "--data", data.path, "--models", registry])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("temperature T = ") && run.stdout.contains("expected calibration error"))
            #expect(run.stdout.contains("before,") && run.stdout.contains("uncertain below"))
            let metadata = try SafetensorsFile(contentsOf: weights).metadata
            let temperature = try #require(metadata["temperature"].flatMap(Double.init))
            #expect(temperature >= 0.05 && temperature <= 20)
            #expect(metadata["uncertain_below"].flatMap(Double.init).map { (0.3...0.95).contains($0) } == true)
            #expect(metadata["provenance"]?.contains("/work/") == false && metadata["provenance"]?.contains("/tmp/") == false)
            #expect(metadata["architecture"] == "small_cnn" && metadata["trained"] == "true")
            #expect(try tensorBytes(weights) == tensors, "tensors unchanged")

            let evaluate = try runECG(["evaluate", "small_cnn", "--data", data.path, "--models", registry, "--bootstrap", "0",
                                       "--out", data.deletingLastPathComponent().appendingPathComponent("out").path])
            #expect(evaluate.status == 0, "\(evaluate.stderr)")
            #expect(evaluate.stdout.contains("after temperature scaling, T = ") && evaluate.stdout.contains("before it: expected calibration error"))

            let predict = try runECG(["predict", data.appendingPathComponent("Normal/0.png").path, "--no-gate", "--models", registry, "--json"])
            #expect(predict.status == 0, "\(predict.stderr)")
            #expect(predict.stdout.contains(#""confidence":"#) && predict.stdout.contains(#""leading_classes":["#))
        }
    }

    @Test("Refuses untrained weights, a missing data folder and an unknown model with one line and status 1")
    func refusals() throws {
        try withTrainedModel { registry, _, data in
            let noData = try runECG(["calibrate", "small_cnn", "--data", "/nonexistent/data", "--models", registry])
            #expect(noData.status != 0 && noData.stderr.contains("/nonexistent/data"))
            let unknown = try runECG(["calibrate", "nope", "--data", data.path, "--models", registry])
            #expect(unknown.status == 1 && unknown.stderr.contains("unknown model"))
            #expect(try runECG(["init-weights", "small_cnn", "--force", "--models", registry]).status == 0)
            let untrained = try runECG(["calibrate", "small_cnn", "--data", data.path, "--models", registry])
            #expect(untrained.status == 1 && untrained.stderrLines.count == 1 && untrained.stderr.contains("untrained"))
        }
    }
}
