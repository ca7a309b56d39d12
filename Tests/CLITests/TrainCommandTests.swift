import Checkpoints
import Foundation
import ImageIO
import Models
import Testing

/// `ecg train` end to end on a tiny generated data set: the small CNN at a 32-pixel input.
@Suite("ecg train", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct TrainCommandTests {
    @Test("Trains with augmentation, writes trained weights with provenance and one log line per epoch and split")
    func trainsWithAugmentation() throws {
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            for (label, name) in ecgClasses.enumerated() {
                for split in ["train", "validation"] {
                    let folder = data.appendingPathComponent("\(split)/\(name)")
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    for index in 0..<2 {
                        let image = gradientImage(width: 64, height: 48, phase: 40 * label + 13 * index)
                        try ImageEncoder.png(image).write(to: folder.appendingPathComponent("\(index).png"))
                    }
                }
            }
            let out = directory.appendingPathComponent("small.safetensors").path
            let log = directory.appendingPathComponent("log.jsonl").path
            let run = try runECG(["train", "small_cnn", "--data", data.path, "--epochs", "2", "--batch-size", "4",
                                  "--input-size", "32", "--augment", "--seed", "3", "--out", out, "--log", log])
            #expect(run.exited && run.status == 0, "\(run.stderr)")

            let metadata = try SafetensorsFile(contentsOf: URL(fileURLWithPath: out)).metadata
            let input = try WeightsMetadata(metadata: metadata, path: out).input
            #expect(metadata["trained"] == "true" && input.inputSize == 32)
            #expect(metadata["provenance"]?.contains("--augment") == true)
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            let splits = try lines.map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return object["split"] as? String ?? ""
            }
            #expect(splits.filter { $0 == "train" }.count == 2 && splits.contains("val"), "\(lines)")
        }
    }

    @Test("A data folder that is not there is one error line and exit status 1")
    func missingData() throws {
        try withTemporaryDirectory { directory in
            let run = try runECG(["train", "small_cnn", "--data", directory.appendingPathComponent("absent").path])
            #expect(run.exited && run.status == 1)
            #expect(run.stderrLines.count == 1 && run.stderr.hasPrefix("error: "), "\(run.stderr)")
        }
    }
}
