import Foundation
import Testing

/// The ECG image data set (Khan et al. 2021), next to the repository when present.
let datasetDirectory = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/ecg-khan-2021")

/// Models to try on real images: the fast two, and the 100-160 MB ones with ECG_SLOW_TESTS=1.
let datasetModels = ["small_cnn", "mobilenetv2"]
    + (ProcessInfo.processInfo.environment["ECG_SLOW_TESTS"] == "1" ? ["inceptionv3", "vgg16"] : [])

@Suite("Real ECG images", .enabled(
    if: FileManager.default.fileExists(atPath: datasetDirectory.path),
    "no data set at ../shared/data/ecg-khan-2021"), .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct DatasetTests {
    @Test("ecg predict classifies one real image of each class with untrained weights", arguments: datasetModels)
    func predictRealImages(model: String) throws {
        let images = try ecgClasses.map { name in
            let folder = datasetDirectory.appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            let file = try #require(files.first { [".jpg", ".jpeg", ".png"].contains(where: $0.lowercased().hasSuffix) },
                                    "no image in \(folder.path)")
            return folder.appendingPathComponent(file).path
        }
        try withTemporaryDirectory { directory in
            // The committed registry's entries, with their weights written into the temporary folder.
            let committed = try String(contentsOf: repositoryRoot.appendingPathComponent("models/models.json"), encoding: .utf8)
            let registry = try write(committed, to: "models.json", in: directory).path
            let initialise = try runECG(["init-weights", model, "--models", registry])
            #expect(initialise.status == 0, "\(initialise.stderr)")

            let run = try runECG(["predict"] + images + ["--model", model, "--json", "--models", registry])
            #expect(run.exited && run.status == 0, "\(run.stderr)")
            #expect(run.stdoutLines.count == images.count)
            for line in run.stdoutLines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(ecgClasses.contains(object["prediction"] as? String ?? ""), "\(line)")
                #expect(object["model"] as? String == model)
            }
        }
    }
}
