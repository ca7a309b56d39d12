import Foundation
import ImageIO
import Testing

/// `ecg digitise`, run as a subprocess on a page `ecg synth` draws.
@Suite("The ecg digitise command", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct DigitiseCommandTests {
    /// A clean generated Normal page at the reports' resolution, written by `ecg synth` into `directory`.
    static func synthPage(in directory: URL) throws -> URL {
        let run = try runECG(["synth", "--count", "1", "--seed", "5", "--width", "1106", "--height", "786", "--classes", "Normal",
                              "--out", directory.appendingPathComponent("pages").path])
        #expect(run.exited && run.status == 0, "\(run.stderr)")
        return directory.appendingPathComponent("pages/Normal/synthetic-1.png")
    }

    @Test("writes the CSV, a WFDB record with a sane header, measurements.json and the overlay, and prints a summary")
    func writesOutputs() throws {
        try withTemporaryDirectory { directory in
            let page = try Self.synthPage(in: directory)
            let out = directory.appendingPathComponent("out")
            let run = try runECG(["digitise", page.path, "--out", out.path, "--name", "rec1"])
            #expect(run.exited && run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("rate ") && run.stdout.contains("QRS"), "\(run.stdout)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            #expect(files == ["rec1.csv", "rec1.dat", "rec1.hea", "rec1.measurements.json", "rec1.overlay.png"])

            // WFDB header: `name signals rate samples`, then one line per lead naming the .dat in format 16.
            let header = try String(contentsOf: out.appendingPathComponent("rec1.hea"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            #expect(header.first == "rec1 12 500 5000")
            let signals = header.dropFirst().filter { !$0.hasPrefix("#") }
            #expect(signals.count == 12)
            #expect(signals.allSatisfy { $0.hasPrefix("rec1.dat 16 1000/mV 16 0 ") })
            #expect(signals.map { $0.split(separator: " ").last.map(String.init) ?? "" }
                    == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"])
            // 12 signals x 5000 samples x 2 bytes.
            let dat = try Data(contentsOf: out.appendingPathComponent("rec1.dat"))
            #expect(dat.count == 12 * 5000 * 2)

            let csv = try String(contentsOf: out.appendingPathComponent("rec1.csv"), encoding: .utf8).split(separator: "\n")
            #expect(csv.first == "time_s,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6")
            #expect(csv.count == 5001)

            let json = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent("rec1.measurements.json"))) as? [String: Any])
            #expect(json["measurements"] is [String: Any], "\(json.keys.sorted())")
            let overlay = try ImageDecoder.decode(Data(contentsOf: out.appendingPathComponent("rec1.overlay.png")))
            #expect(overlay.width == 1106 && overlay.height == 786)
        }
    }

    @Test("A page that cannot be read exits 1 with one error line naming it, and writes nothing")
    func refusal() throws {
        try withTemporaryDirectory { directory in
            let page = directory.appendingPathComponent("gradient.png")
            try ImageEncoder.png(gradientImage(width: 800, height: 600)).write(to: page)
            let out = directory.appendingPathComponent("out")
            let run = try runECG(["digitise", page.path, "--out", out.path])
            #expect(run.exited && run.status == 1, "status \(run.status): \(run.stderr)")
            #expect(run.stderrLines.count == 1, "\(run.stderr)")
            #expect(run.stderrLines.first?.hasPrefix("error: ") == true)
            #expect(run.stderrLines.first?.contains("gradient.png") == true)
            #expect(!FileManager.default.fileExists(atPath: out.path))

            let missing = try runECG(["digitise", directory.appendingPathComponent("nope.png").path, "--out", out.path])
            #expect(missing.exited && missing.status == 1)
            #expect(missing.stderrLines.count == 1, "\(missing.stderr)")
        }
    }
}
