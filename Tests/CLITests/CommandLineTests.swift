import Foundation
import Inference
import Testing

/// The `ecg` executable, run as a subprocess.
@Suite("The ecg command", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct CommandLineTests {
    @Test("ecg --help lists the four commands")
    func help() throws {
        let run = try runECG(["--help"])
        #expect(run.exited && run.status == 0)
        for command in ["predict", "models", "init-weights", "bench"] {
            #expect(run.stdout.contains(command), "\(command)")
        }
        #expect(run.stdout.contains("not a medical device"))
    }

    @Test("ecg predict --help carries the research notice")
    func predictHelp() throws {
        let run = try runECG(["predict", "--help"])
        #expect(run.exited && run.status == 0)
        #expect(run.stdout.contains("not a medical device"))
    }

    @Test("init-weights, models and predict work end to end with untrained weights")
    func endToEnd() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            let before = try runECG(["models", "--models", registry])
            #expect(before.status == 0 && before.stdout.contains("not installed"))

            let initialise = try runECG(["init-weights", "small_cnn", "--models", registry])
            #expect(initialise.status == 0, "\(initialise.stderr)")
            #expect(initialise.stdout.contains("small_cnn: wrote untrained random weights"))

            let models = try runECG(["models", "--models", registry])
            #expect(models.status == 0 && models.stdout.contains("* small_cnn") && models.stdout.contains("not trained"))

            let json = try runECG(["predict", samplePage.path, "--model", "small_cnn", "--json", "--models", registry])
            #expect(json.status == 0, "\(json.stderr)")
            #expect(json.stdoutLines.count == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let probabilities = try #require(object["probabilities"] as? [String: Double])
            #expect(Set(probabilities.keys) == Set(ecgClasses))
            #expect(abs(probabilities.values.reduce(0, +) - 1) <= 1e-5)
            #expect(object["prediction"] as? String == probabilities.max { $0.value < $1.value }?.key)
            #expect(object["trained"] as? Bool == false)
            #expect(object["model"] as? String == "small_cnn")
            #expect(object["image"] as? String == samplePage.path)
            // The API's answer shape (PredictionAnswer), plus the file's name.
            #expect(Set(object.keys) == ["model", "model_name", "trained", "prediction", "confidence", "leading_classes",
                                         "probabilities", "timings_ms", "image", "notice", "page"])
            let answer = try JSONDecoder().decode(PredictionAnswer.self, from: Data(json.stdout.utf8))
            let timings = answer.timingsMilliseconds
            #expect(answer.page?.checked == true && answer.page?.rotatedDegrees == 0 && answer.modelName == "Small CNN")
            #expect(timings.queue == 0 && timings.total >= timings.decode + timings.preprocess + timings.inference - 1e-6)

            let table = try runECG(["predict", samplePage.path, "--models", registry])
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("UNTRAINED"))
            #expect(table.stdout.contains("not a medical device"))
            for name in ecgClasses { #expect(table.stdout.contains(name)) }
        }
    }

    @Test("Bad input fails with one error line and no crash", arguments: [
        "a non-image", "a missing image", "an unknown model", "a malformed registry", "a missing registry", "missing weights",
    ])
    func failsCleanly(_ what: String) throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            var image = samplePage.path, model = "small_cnn", registryPath = registry
            if what != "missing weights" {
                #expect(try runECG(["init-weights", "small_cnn", "--models", registry]).status == 0)
            }
            switch what {
            case "a non-image": image = try write("hello, not a PNG", to: "fake.png", in: directory).path
            case "a missing image": image = directory.appendingPathComponent("absent.png").path
            case "an unknown model": model = "resnet"
            case "a malformed registry": registryPath = try write("{\"models\": [", to: "broken.json", in: directory).path
            case "a missing registry": registryPath = directory.appendingPathComponent("none.json").path
            default: break
            }
            let run = try runECG(["predict", image, "--model", model, "--models", registryPath])
            #expect(run.exited, "\(what): killed by signal \(run.status)")
            #expect(run.status != 0, "\(what)")
            #expect(run.stderrLines.count == 1, "\(what): \(run.stderr)")
            #expect(run.stderr.hasPrefix("error: "), "\(what): \(run.stderr)")
        }
    }

    @Test("init-weights keeps trained weights unless --force, and never writes over an imported file")
    func initWeightsKeepsTrainedWeights() throws {
        try withTemporaryDirectory { directory in
            let trained = repositoryRoot.appendingPathComponent("models/trained/mobilenetv2.safetensors")
            let copy = directory.appendingPathComponent("trained.safetensors")
            try FileManager.default.copyItem(at: trained, to: copy)
            let keras = try write("not really keras", to: "imported.keras", in: directory)
            let registry = try write("""
                {"models": [{"key": "mobilenetv2", "architecture": "mobilenetv2", "weights": "trained.safetensors"},
                            {"key": "imported", "architecture": "small_cnn", "weights": "imported.keras"}]}
                """, to: "models.json", in: directory).path
            let original = try Data(contentsOf: copy)

            let kept = try runECG(["init-weights", "--all", "--models", registry])
            #expect(kept.status == 0, "\(kept.stderr)")
            #expect(kept.stderr.contains("kept the trained weights") && kept.stderr.contains("not an ECGLens file"))
            #expect(try Data(contentsOf: copy) == original)
            #expect(try String(contentsOf: keras, encoding: .utf8) == "not really keras")

            let forced = try runECG(["init-weights", "mobilenetv2", "--force", "--models", registry])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try Data(contentsOf: copy) != original)
        }
    }

    @Test("predict reports a bad image and goes on with the next, then exits 1")
    func partialFailure() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            #expect(try runECG(["init-weights", "small_cnn", "--models", registry]).status == 0)
            let missing = directory.appendingPathComponent("absent.jpg").path
            let run = try runECG(["predict", missing, samplePage.path, "--json", "--models", registry])
            #expect(run.exited && run.status == 1)
            #expect(run.stdoutLines.count == 1 && run.stdout.contains("\"prediction\""))
            #expect(run.stderrLines == ["error: \(missing): No such file or directory"])
        }
    }

    @Test("Usage errors are rejected by argument validation", arguments: [
        ["bench", "--architectures", "nope"],
        ["bench", "--batches", "0"],
        ["predict"],
        ["init-weights"],
    ])
    func validation(_ arguments: [String]) throws {
        let run = try runECG(arguments)
        #expect(run.exited)
        #expect(run.status == 64, "EX_USAGE; stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: "))
    }
}
