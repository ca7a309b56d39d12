import Foundation
import ImageIO
import Testing

/// `ecg synth`, run as a subprocess.
@Suite("The ecg synth command", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct SynthCommandTests {
    @Test("writes one folder per class with an image and a sidecar per page, the same for the same seed")
    func writesDataset() throws {
        try withTemporaryDirectory { directory in
            let arguments = ["synth", "--count", "2", "--seed", "9", "--width", "400", "--height", "285",
                             "--classes", "Normal,Myocardial_Infarction", "--artifacts", "rotation,jpeg"]
            let first = try runECG(arguments + ["--out", directory.appendingPathComponent("a").path])
            let second = try runECG(arguments + ["--out", directory.appendingPathComponent("b").path, "--threads", "1"])
            #expect(first.exited && first.status == 0, "\(first.stderr)")
            #expect(second.exited && second.status == 0, "\(second.stderr)")
            #expect(first.stderr.contains("4/4"), "the progress bar reaches the total")
            let folders = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("a").path).sorted()
            #expect(folders == ["Myocardial_Infarction", "Normal"])
            for folder in folders {
                let path = directory.appendingPathComponent("a").appendingPathComponent(folder)
                let files = try FileManager.default.contentsOfDirectory(atPath: path.path).sorted()
                #expect(files == ["synthetic-1.jpg", "synthetic-1.json", "synthetic-2.jpg", "synthetic-2.json"])
                for file in files {
                    let a = try Data(contentsOf: path.appendingPathComponent(file))
                    let b = try Data(contentsOf: directory.appendingPathComponent("b/\(folder)/\(file)"))
                    #expect(a == b, "\(folder)/\(file) differs between runs")
                    if file.hasSuffix(".jpg") {
                        let image = try ImageDecoder.decode(a)
                        #expect(image.width == 400 && image.height == 285)
                    } else {
                        let sidecar = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
                        #expect(sidecar["label"] as? String == folder)
                    }
                }
            }
        }
    }

    @Test("Bad arguments are usage errors", arguments: [
        ["--count", "0"], ["--count", "1", "--classes", "Nope"], ["--count", "1", "--artifacts", "glitter"],
        ["--count", "1", "--width", "10"], ["--count", "1", "--threads", "3"], ["--count", "1", "--jpeg-quality", "0"],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let run = try runECG(["synth", "--out", FileManager.default.temporaryDirectory.path] + arguments)
        #expect(run.exited)
        #expect(run.status == 64, "EX_USAGE; stderr: \(run.stderr)")
    }

    @Test("An output folder that cannot be made is one error line")
    func unwritableOutput() throws {
        try withTemporaryDirectory { directory in
            let blocker = try write("not a folder", to: "file", in: directory)
            let run = try runECG(["synth", "--out", blocker.path, "--count", "1", "--width", "200", "--height", "143"])
            #expect(run.exited && run.status == 1)
            #expect(run.stderrLines.last?.hasPrefix("error: cannot create") == true, "\(run.stderr)")
        }
    }
}
