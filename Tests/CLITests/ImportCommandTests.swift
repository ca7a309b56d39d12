import Foundation
import Testing

/// `ecg import` run as a subprocess: a Keras and a PyTorch file written by the frameworks.
@Suite(.enabled(if: ecgExecutable != nil, "the ecg executable is not built (swift build --build-tests builds it)"))
struct ImportCommandTests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/ImportTests/Fixtures")

    @Test("import converts and registers; predict then serves the model as a trained one")
    func importThenPredict() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            let keras = fixtures("small_cnn_64.keras")
            let run = try runECG(["import", keras, "--arch", "small_cnn", "--key", "old_small", "--models", registry])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("64 px input"))
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("weights/old_small.safetensors").path))

            let models = try runECG(["models", "--models", registry])
            #expect(models.stdout.contains("old_small") && models.stdout.contains("64x64"))
            let predict = try runECG(["predict", samplePage.path, "-m", "old_small", "--json", "--models", registry])
            #expect(predict.status == 0, "\(predict.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any])
            #expect(object["trained"] as? Bool == true)

            // The key is now taken.
            let again = try runECG(["import", keras, "--arch", "small_cnn", "--key", "old_small", "--models", registry])
            #expect(again.status == 1 && again.stderrLines.count == 1 && again.stderr.contains("--replace"))
        }
    }

    @Test("a mismatched or hostile file is one error line and exit 1", arguments: [
        ("small_cnn_64.keras", "mobilenetv2", "the saved model has 0 batch_normalization layers"),
        ("vgg16_state_dict.pth", "inceptionv3", "holds none of inceptionv3's parameters"),
    ])
    func refusals(_ file: String, _ architecture: String, _ message: String) throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            let run = try runECG(["import", fixtures(file), "--arch", architecture, "--models", registry])
            #expect(run.exited && run.status == 1)
            #expect(run.stderrLines.count == 1 && run.stderr.hasPrefix("error: ") && run.stderr.contains(message), "\(run.stderr)")
        }
    }

    private func fixtures(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }
}
