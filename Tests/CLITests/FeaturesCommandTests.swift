import Checkpoints
import Foundation
import Testing

/// `ecg features` with a backbone: the registry's weights or `--init`'s file.
@Suite("ecg features --init", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct FeaturesCommandTests {
    @Test("--init with the registry model's own weights file writes the very same cache; --preprocessing changes the features")
    func initFromFile() throws {
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            for name in ecgClasses {
                try FileManager.default.createDirectory(at: data.appendingPathComponent(name), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("samples/\(name)/synthetic-1.png"),
                                                 to: data.appendingPathComponent("\(name)/page.png"))
            }
            let common = ["features", data.path, "--input-size", "64"]
            let outs = ["registry", "init", "rescale"].map { directory.appendingPathComponent("\($0).safetensors") }
            let runs = try [
                runECG(common + ["--out", outs[0].path]),
                runECG(common + ["--init", "models/trained/mobilenetv2.safetensors", "--out", outs[1].path]),
                runECG(common + ["--init", "models/trained/mobilenetv2.safetensors", "--preprocessing", "rescale", "--out", outs[2].path]),
            ]
            for run in runs { #expect(run.exited && run.status == 0, "\(run.stderr)") }
            let files = try outs.map { try Data(contentsOf: $0) }
            #expect(files[0] == files[1])
            #expect(files[2] != files[1])
            #expect(try SafetensorsFile(contentsOf: outs[2]).info("average")?.shape == [4, 1280])
        }
    }

    @Test("--init with a file that is not weights fails with one line naming it")
    func badInit() throws {
        try withTemporaryDirectory { directory in
            let bogus = directory.appendingPathComponent("bogus.pth")
            try Data("not a checkpoint".utf8).write(to: bogus)
            let run = try runECG(["features", "samples", "--init", bogus.path, "--out", directory.appendingPathComponent("x.safetensors").path])
            #expect(run.exited && run.status == 1)
            #expect(run.stderrLines.count == 1 && run.stderr.contains("bogus.pth"), "\(run.stderr)")
        }
    }
}
