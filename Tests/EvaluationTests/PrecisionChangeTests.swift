import Evaluation
import Testing

/// `ecg evaluate --precision bf16|int8`'s comparison with fp32, file by file.
@Suite("Precision change: a low-precision run against fp32 on the same files")
struct PrecisionChangeTests {
    let classes = ["A", "B"]

    private func report(_ probabilities: [String: [Float]], labels: [String: Int]) -> EvaluationReport {
        let results = probabilities.keys.sorted().enumerated().map { index, file in
            ImageResult(file: file, label: labels[file]!, probabilities: probabilities[file]!, image: index)
        }
        let model = EvaluationReport.Model(key: "m", name: "M", architecture: "mobilenetv2", trained: true, provenance: "p",
                                           inputSize: 224, preprocessing: "standard", resize: "bicubic", crop: nil)
        return EvaluationReport(model: model, classes: classes, data: "d", results: results, unreadable: [],
                                bootstrap: Bootstrap(resamples: 0, seed: 0), seconds: 0, notice: "n")
    }

    @Test("Counts changed answers, finds the largest probability change and its file, and the metric changes")
    func comparesFileByFile() {
        let labels = ["a.png": 0, "b.png": 1, "c.png": 1, "d.png": 0]
        let fp32 = report(["a.png": [0.9, 0.1], "b.png": [0.2, 0.8], "c.png": [0.6, 0.4], "d.png": [0.7, 0.3]], labels: labels)
        // c flips to right (0.6 → 0.3 for A: moved 0.3), d moves 0.1 but keeps its answer.
        let int8 = report(["a.png": [0.9, 0.1], "b.png": [0.2, 0.8], "c.png": [0.3, 0.7], "d.png": [0.6, 0.4]], labels: labels)
        let change = PrecisionChange(precision: "int8", report: int8, fp32: fp32)
        #expect(change.files == 4 && change.answersChanged == 1)
        #expect(abs(change.largestProbabilityChange - 0.3) < 1e-6 && change.largestChangeFile == "c.png")
        #expect(abs((change.accuracyChange ?? 0) - 0.25) < 1e-9, "4 of 4 right against fp32's 3 of 4")
        #expect((change.macroF1Change ?? 0) > 0)
        #expect(change.summary.hasPrefix("int8 against fp32 on the same 4 files: macro-F1 +"))
        #expect(change.summary.contains("accuracy +25.00") && change.summary.contains("largest probability change 0.300 (c.png), 1 of 4 answers changed"))
    }

    @Test("Identical runs change nothing; files only one side has are left out")
    func identicalRuns() {
        let labels = ["a.png": 0, "b.png": 1, "extra.png": 0]
        let fp32 = report(["a.png": [0.9, 0.1], "b.png": [0.2, 0.8]], labels: labels)
        let same = report(["a.png": [0.9, 0.1], "b.png": [0.2, 0.8], "extra.png": [0.1, 0.9]], labels: labels)
        let change = PrecisionChange(precision: "bf16", report: same, fp32: fp32)
        #expect(change.files == 2 && change.answersChanged == 0 && change.largestProbabilityChange == 0)
        #expect(change.largestChangeFile == nil)
    }
}
