import Datasets
import Evaluation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The JSON, text and HTML forms of an evaluation report.
@Suite("Evaluation report")
struct ReportTests {
    let classes = ["Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal"]

    /// Twelve images, three per class; the last of each class is mistaken for the next class,
    /// and one file name needs escaping.
    private func report(trained: Bool, trainingLog: [EpochRecord]? = nil) -> EvaluationReport {
        var results: [ImageResult] = []
        for label in 0..<4 {
            for index in 0..<3 {
                var probabilities: [Float] = [0.1, 0.1, 0.1, 0.1]
                probabilities[index == 2 ? (label + 1) % 4 : label] = 0.7
                let name = label == 3 && index == 2 ? "odd <name> & \"quotes\".png" : "\(index).png"
                results.append(ImageResult(file: "\(classes[label])/\(name)", label: label, probabilities: probabilities,
                                           image: results.count))
            }
        }
        let model = EvaluationReport.Model(
            key: "small_cnn", name: "Small CNN", architecture: "small_cnn", trained: trained,
            provenance: trained ? "trained by ecg train" : "random initialisation; untrained", inputSize: 299,
            preprocessing: "rescale", resize: "bicubic", crop: "0.03,0.18,0.98,0.96")
        return EvaluationReport(
            model: model, classes: classes, data: "Data/test", results: results,
            unreadable: [UnreadableImage(file: "Normal/broken.jpg", reason: "not a JPEG or PNG image")],
            bootstrap: Bootstrap(resamples: 200, seed: 0), seconds: 1.5, trainingLog: trainingLog,
            notice: "Research and teaching use only: not a medical device.")
    }

    private func record(_ epoch: Int, _ split: EpochRecord.Split, loss: Float, accuracy: Float, phase: String = "head") -> EpochRecord {
        EpochRecord(epoch: epoch, split: split, phase: phase, loss: loss, accuracy: accuracy, learningRate: 0.001,
                    imagesPerSecond: 50, elapsedSeconds: Double(epoch))
    }

    private var log: [EpochRecord] { [
        record(1, .train, loss: 1.3, accuracy: 0.4),
        record(1, .val, loss: 1.2, accuracy: 0.45),
        record(2, .train, loss: 0.9, accuracy: 0.6),
        record(2, .val, loss: 1.0, accuracy: 0.55),
    ] }

    @Test("Metrics, mistakes and counts come from the results")
    func figures() {
        let report = report(trained: true)
        #expect(report.imageCount == 12 && report.fileCount == 12 && !report.duplicatesCounted)
        #expect(report.metrics.accuracy.value == 8.0 / 12)
        #expect(report.misclassified.count == 4)
        #expect(report.misclassified.first?.trueClass == "Abnormal_Heartbeat")
        #expect(report.misclassified.first?.predictedClass == "History_Myocardial_Infarction")
        #expect(report.calibration.bins[6].count == 12)  // every confidence is 0.7
        #expect(abs(report.calibration.expectedCalibrationError - abs(8.0 / 12 - 0.7)) < 1e-6)
        #expect(report.metrics.accuracy.lower != nil && report.metrics.accuracy.upper != nil)
    }

    @Test("Copies of one picture count once unless asked, and every copy's mistake is listed")
    func duplicates() {
        // Pictures 0 and 1 are right; picture 2, a wrong one, has three copies.
        let results = [
            ImageResult(file: "a/0.png", label: 0, probabilities: [0.9, 0.1], image: 0),
            ImageResult(file: "b/1.png", label: 1, probabilities: [0.2, 0.8], image: 1),
        ] + (0..<3).map { ImageResult(file: "b/copy\($0).png", label: 1, probabilities: [0.6, 0.4], image: 2) }
        let model = report(trained: true).model
        func evaluate(countDuplicates: Bool) -> EvaluationReport {
            EvaluationReport(model: model, classes: ["a", "b"], data: "d", results: results, unreadable: [],
                             bootstrap: Bootstrap(resamples: 0), countDuplicates: countDuplicates, seconds: 1, notice: "")
        }
        let distinct = evaluate(countDuplicates: false), all = evaluate(countDuplicates: true)
        #expect(distinct.fileCount == 5 && distinct.imageCount == 3 && all.imageCount == 5)
        #expect(distinct.metrics.accuracy.value == 2.0 / 3 && all.metrics.accuracy.value == 0.4)
        #expect(distinct.metrics.classes[1].support == 2 && all.metrics.classes[1].support == 4)
        #expect(distinct.misclassified.count == 3 && all.misclassified.count == 3)
        #expect(distinct.countDescription == "3 distinct images (5 files)")
        #expect(all.countDescription == "5 files, duplicates counted")
    }

    @Test("JSON round-trips and uses snake_case keys")
    func json() throws {
        let report = report(trained: true, trainingLog: log)
        let data = try report.json()
        #expect(try JSONDecoder().decode(EvaluationReport.self, from: data) == report)
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"macro_f1\"", "\"confusion_matrix\"", "\"expected_calibration_error\"", "\"log_loss\"", "\"training_log\""] {
            #expect(text.contains(key), "missing \(key)")
        }
    }

    @Test("The HTML is well-formed, self-contained, and has the plots, notice and mistakes")
    func html() throws {
        // The fine-tuning phase starts at epoch 3, where the loss diverged.
        let html = report(trained: true, trainingLog: log + [record(3, .train, loss: .nan, accuracy: 0.6, phase: "top-blocks")]).html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 5)  // confusion, reliability, F1, loss, accuracy
        #expect(html.contains("<polyline") && html.contains(">top-blocks</text>"))
        #expect(!html.lowercased().contains("nan"))
        #expect(html.contains("Research and teaching use only"))
        #expect(html.contains("odd &lt;name&gt; &amp; &quot;quotes&quot;.png"))
        #expect(html.contains("Normal/broken.jpg"))
        #expect(!html.contains("UNTRAINED"))
        #if canImport(FoundationXML) || canImport(Darwin)
        let parser = XMLParser(data: Data(html.utf8))
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        #endif
    }

    @Test("An untrained model's report says so, in HTML and in the summary; no log, no curves")
    func untrained() {
        let report = report(trained: false)
        let html = report.html()
        #expect(html.contains("UNTRAINED MODEL"))
        #expect(!html.contains("Training curves") && !html.contains("<polyline"))
        #expect(report.summary().contains("UNTRAINED"))
    }

    @Test("The summary has one row per class with its support, and the overall figures")
    func summary() {
        let lines = report(trained: true).summary().split(separator: "\n").map(String.init)
        for name in classes {
            let row = lines.first { $0.hasPrefix(name + " ") }
            #expect(row?.hasSuffix(" 3") == true, "row for \(name): \(row ?? "missing")")
        }
        #expect(lines.contains { $0.hasPrefix("accuracy  66.7% (") && $0.contains("macro-F1") })
        #expect(lines.contains { $0.contains("misclassified files: 4") && $0.contains("unreadable (skipped): 1") })
    }
}

extension ReportTests {
    @Test("The Markdown table has a row per class and the overall figures")
    func markdown() {
        let lines = report(trained: true).markdown().split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("| ") }.count == 7)  // header, 4 classes, accuracy, macro-F1
        #expect(lines.contains { $0.hasPrefix("| Normal | ") && $0.hasSuffix(" | 3 |") })
        #expect(lines.contains { $0.hasPrefix("| **accuracy** | | | 66.7% (") && $0.hasSuffix(" | 12 |") })
        #expect(lines[0].contains("crop `0.03,0.18,0.98,0.96`") && !lines[0].contains("UNTRAINED"))
    }
}

@Suite("Training log")
struct TrainingLogTests {
    private func withFile<R>(_ text: String, _ body: (URL) throws -> R) throws -> R {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("training-log-\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    @Test("Reads one entry per line, skipping blank lines and ignoring other keys")
    func reads() throws {
        let text = """
            {"accuracy":0.5,"elapsed_s":12,"epoch":1,"images_per_second":40.5,"learning_rate":0.001,"loss":1.25,"phase":"head","split":"train"}

            {"accuracy":0.25,"elapsed_s":14,"epoch":1,"images_per_second":90,"learning_rate":0.001,"loss":"nan","phase":"head","split":"val","step":3}
            """
        let entries = try withFile(text) { try readTrainingLog($0) }
        #expect(entries.count == 2)
        #expect(entries[0] == EpochRecord(epoch: 1, split: .train, phase: "head", loss: 1.25, accuracy: 0.5, learningRate: 0.001,
                                          imagesPerSecond: 40.5, elapsedSeconds: 12))
        #expect(entries[1].split == .val && entries[1].loss.isNaN && entries[1].elapsedSeconds == 14)
    }

    @Test("A bad line is an error naming the file and line; an empty or missing log is an error")
    func errors() throws {
        let good = #"{"accuracy":0.5,"elapsed_s":1,"epoch":1,"images_per_second":9,"learning_rate":0.1,"loss":1,"phase":"all","split":"train"}"#
        let bad = try withFile(good + "\n{\"epoch\": 2}\n") { url in
            #expect(throws: TrainingLogError.self) { try readTrainingLog(url) }
            do { _ = try readTrainingLog(url); return "" } catch let error as TrainingLogError { return error.description }
        }
        #expect(bad.hasSuffix(":2: not an epoch record of `ecg train`'s log"))
        try withFile("\n") { url in _ = #expect(throws: TrainingLogError.self) { try readTrainingLog(url) } }
        #expect(throws: TrainingLogError.self) { try readTrainingLog(URL(fileURLWithPath: "/nonexistent/log.jsonl")) }
    }
}
