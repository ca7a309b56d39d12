import Foundation
import ImageIO
import Testing

/// `ecg predict` with the input gate: refusals, `--no-gate`, and turned pages read upright.
@Suite("ecg predict and the input gate", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct PredictGateTests {
    @Test("A non-ECG image is refused with one error line naming the gate and the override, exit 1; --no-gate classifies it with a warning")
    func refusesNonPages() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            #expect(try runECG(["init-weights", "small_cnn", "--models", registry]).status == 0)
            let image = directory.appendingPathComponent("gradient.png")
            try ImageEncoder.png(gradientImage(width: 300, height: 200)).write(to: image)

            let refused = try runECG(["predict", image.path, "--models", registry])
            #expect(refused.exited && refused.status == 1)
            #expect(refused.stderrLines.count == 1, "\(refused.stderr)")
            #expect(refused.stderr.hasPrefix("error: \(image.path): this does not look like a 12-lead ECG page (gate score "))
            #expect(refused.stderr.contains("--no-gate"))
            #expect(!refused.stdout.contains("%"), "no probabilities printed for a refused image")

            let json = try runECG(["predict", image.path, "--json", "--models", registry])
            #expect(json.status == 1 && json.stdout.isEmpty)

            let forced = try runECG(["predict", image.path, "--no-gate", "--models", registry])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stdout.contains("WARNING: classified under --no-gate"))
            let forcedJSON = try runECG(["predict", image.path, "--no-gate", "--json", "--models", registry])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(forcedJSON.stdout.utf8)) as? [String: Any])
            let page = try #require(object["page"] as? [String: Any])
            #expect(page["accepted"] as? Bool == false && page["checked"] as? Bool == false)
            #expect((page["reasons"] as? [String])?.isEmpty == false)
        }
    }

    @Test("A page turned 90 degrees is classified upright: same probabilities as the upright page, and it says so")
    func turnedPage() throws {
        try withTemporaryDirectory { directory in
            let registry = try smallCNNRegistry(in: directory).path
            #expect(try runECG(["init-weights", "small_cnn", "--models", registry]).status == 0)
            let page = try ImageDecoder.decode(Data(contentsOf: samplePage))
            let turned = directory.appendingPathComponent("turned.png")
            try ImageEncoder.png(page.rotatedClockwise(quarterTurns: 1)).write(to: turned)

            let upright = try runECG(["predict", samplePage.path, "--json", "--models", registry])
            let sideways = try runECG(["predict", turned.path, "--json", "--models", registry])
            #expect(upright.status == 0 && sideways.status == 0, "\(sideways.stderr)")
            let a = try #require(try JSONSerialization.jsonObject(with: Data(upright.stdout.utf8)) as? [String: Any])
            let b = try #require(try JSONSerialization.jsonObject(with: Data(sideways.stdout.utf8)) as? [String: Any])
            #expect(a["probabilities"] as? [String: Double] == b["probabilities"] as? [String: Double])
            #expect((a["page"] as? [String: Any])?["rotated_degrees"] as? Int == 0)
            #expect((b["page"] as? [String: Any])?["rotated_degrees"] as? Int == 270)

            let table = try runECG(["predict", turned.path, "--models", registry])
            #expect(table.stdout.contains("(page turned 270° clockwise before classifying)"))
        }
    }
}
