import Foundation
import ImageIO
import Testing

/// `ecg explain` on the shipped small CNN and a committed sample page.
@Suite("ecg explain", .enabled(if: ecgExecutable != nil, "the ecg binary is not built"))
struct ExplainCommandTests {
    static let trainedWeights = repositoryRoot.appendingPathComponent("models/trained/small_cnn.safetensors")

    @Test("Writes the overlay PNG and explains the predicted class, in JSON",
          .enabled(if: FileManager.default.fileExists(atPath: trainedWeights.path), "the trained small_cnn weights are absent"))
    func explainsThePrediction() throws {
        try withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("why.png")
            let run = try runECG(["explain", samplePage.path, "--model", "small_cnn", "--out", out.path, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let predicted = try runECG(["predict", samplePage.path, "--model", "small_cnn", "--json"])
            let prediction = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [String: Any])
            #expect(json["class"] as? String == prediction["prediction"] as? String)
            #expect(json["layer"] as? [Int] == [18, 18, 32])
            let inGrid = try #require(json["heat_in_grid"] as? Double)
            #expect((0...1).contains(inGrid))
            #expect((json["regions"] as? [[String: Double]])?.isEmpty == false)
            let page = try ImageDecoder.decode(ImageFile.read(samplePage.path))
            let overlay = try ImageDecoder.decode(ImageFile.read(out.path))
            #expect(abs(Double(overlay.width) / Double(overlay.height) - Double(page.width) / Double(page.height)) < 0.01)
        }
    }

    @Test("Another class by name, and the summary in words")
    func namedClass() throws {
        try withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("why.png")
            let run = try runECG(["explain", samplePage.path, "--model", "small_cnn", "--out", out.path, "--class", "Normal"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("why Normal"))
            #expect(run.stdout.contains("heat inside the trace grid") || run.stdout.contains("the map is empty"))
            #expect(FileManager.default.fileExists(atPath: out.path))
        }
    }

    @Test("Bad arguments give one-line errors")
    func errors() throws {
        let unknownClass = try runECG(["explain", samplePage.path, "--model", "small_cnn", "--out", "/dev/null/x.png", "--class", "Flu"])
        #expect(unknownClass.status == 1)
        #expect(unknownClass.stderr.contains("no class Flu"))
        let notPNG = try runECG(["explain", samplePage.path, "--out", "why.jpg"])
        #expect(notPNG.status != 0 && notPNG.stderr.contains("--out must name a .png file"))
        let noOut = try runECG(["explain", samplePage.path])
        #expect(noOut.status != 0 && noOut.stderr.contains("give --out"))
    }
}
