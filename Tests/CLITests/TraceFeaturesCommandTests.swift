import Checkpoints
import Foundation
import ImageIO
import Testing

/// `ecg features --kind trace` end to end: the committed synthetic pages are digitised and
/// measured, a page the digitiser refuses gets the documented missing-value row.
@Suite("ecg features --kind trace", .enabled(
    if: ecgExecutable != nil,
    "the ecg executable is not next to the test binary: build it with `swift build --build-tests` first"))
struct TraceFeaturesCommandTests {
    /// The CSV's rows by file: the feature values in header order.
    private func rows(_ csv: String) -> (header: [String], values: [String: [Double]]) {
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        var values: [String: [Double]] = [:]
        for line in lines.dropFirst() { values[line[0]] = line.dropFirst(2).map { Double($0) ?? .nan } }
        return (Array(lines[0].dropFirst(2)), values)
    }

    @Test("Synthetic pages give finite measurements in the documented layout; a refused page is zeros with digitised 0")
    func synthAndRefused() throws {
        try withTemporaryDirectory { directory in
            let data = directory.appendingPathComponent("data")
            for name in ecgClasses { try FileManager.default.createDirectory(at: data.appendingPathComponent(name), withIntermediateDirectories: true) }
            for name in ["Myocardial_Infarction", "Normal"] {
                try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("samples/\(name)/synthetic-1.png"),
                                                 to: data.appendingPathComponent("\(name)/page.png"))
            }
            // A copy of the same page: read once, the same row.
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("samples/Normal/synthetic-1.png"),
                                             to: data.appendingPathComponent("Normal/copy.png"))
            // No grid, no traces: the digitiser refuses it.
            try ImageEncoder.png(gradientImage(width: 320, height: 240)).write(to: data.appendingPathComponent("Abnormal_Heartbeat/blank.png"))

            let out = directory.appendingPathComponent("trace.safetensors")
            let run = try runECG(["features", data.path, "--kind", "trace", "--out", out.path])
            #expect(run.exited && run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("Abnormal_Heartbeat 1/1") && run.stdout.contains("Myocardial_Infarction 0/1")
                    && run.stdout.contains("Normal 0/2"), "\(run.stdout)")
            #expect(run.stdout.contains("Abnormal_Heartbeat/blank.png: "))

            // The cache `ecg cv` reads: 4 files x 128 columns, the names in its source.
            let file = try SafetensorsFile(contentsOf: out)
            #expect(file.info("average")?.shape == [4, 128] && file.info("maximum")?.shape == [4, 128])
            let source = try #require(try JSONSerialization.jsonObject(with: Data((file.metadata["source"] ?? "").utf8)) as? [String: Any])
            let names = try #require(source["feature_names"] as? [String])
            #expect(names.count == 128 && Array(names.prefix(4)) == ["digitised", "readable_fraction", "heart_rate", "rr_sdnn"])
            #expect(names.contains("st_V2") && names.contains("q_depth_III") && names[87] == "t_amplitude_V6")
            #expect(names.contains("anterior_st_second") && names.last == "t_inverted_leads")

            let csv = rows(try String(contentsOf: out.deletingPathExtension().appendingPathExtension("csv"), encoding: .utf8))
            #expect(csv.header == names)
            let blank = try #require(csv.values["Abnormal_Heartbeat/blank.png"])
            #expect(blank.count == 128 && blank.allSatisfy { $0 == 0 })
            // The sidecars' true rates: 95.2 (MI) and 67.1 (Normal) beats per minute.
            for (page, rate) in [("Myocardial_Infarction/page.png", 95.2), ("Normal/page.png", 67.1)] {
                let values = try #require(csv.values[page])
                #expect(values.count == 128 && values.allSatisfy(\.isFinite))
                #expect(values[0] == 1 && values[1] > 0.5, "\(page) read")
                #expect(abs(values[2] - rate) < 4, "\(page): heart rate \(values[2]), true \(rate)")
            }
            #expect(csv.values["Normal/copy.png"] == csv.values["Normal/page.png"])
        }
    }

    @Test("ecg cv's fusion and final-test options refuse what they cannot do, with one line", arguments: [
        (["--features", "a.safetensors", "--late-fusion"], "--late-fusion takes exactly two"),
        (["--features", "a", "--features", "b", "--late-fusion", "--fusion-weights", "1.5"], "--fusion-weights takes numbers in 0...1"),
        (["--features", "a", "--final-test", "s.json", "--l2", "0.1,1"], "--final-test evaluates one recipe"),
        (["--features", "a", "--final-test", "s.json", "--exclude-test", "s.json", "--l2", "1", "--pooling", "avg"], "not both"),
        (["--features", "a", "--drop-columns", "st_("], "--drop-columns takes a regular expression"),
    ])
    func cvOptions(arguments: [String], message: String) throws {
        let run = try runECG(["cv", "--data", "samples"] + arguments)
        #expect(run.exited && run.status != 0)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("--kind trace refuses a crop or an input size with one line")
    func badArguments() throws {
        let run = try runECG(["features", "samples", "--kind", "trace", "--crop"])
        #expect(run.exited && run.status != 0)
        #expect(run.stderr.contains("--kind trace") && !run.stderr.contains("Fatal"))
    }
}
