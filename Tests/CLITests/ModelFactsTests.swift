import Foundation
import Inference
import Models
import Testing

@Suite("Model facts in the committed registry")
struct ModelFactsTests {
    @Test("Every committed model has a plain description, a cited data set, a card that exists and states its registry figures")
    func factsMatchCards() throws {
        let registry = try ModelRegistry(contentsOf: repositoryRoot.appendingPathComponent("models/models.json"))
        for entry in registry.entries {
            let evaluation = try #require(entry.evaluation, "\(entry.key)")
            let dataset = try #require(entry.dataset.flatMap { registry.datasets[$0] }, "\(entry.key)")
            #expect(dataset.license == "CC BY 4.0" && dataset.citation.contains("10.17632/gwbz3fsgp8.2"))
            // A model of its own weights trains with `ecg train KEY`; one that completes another's backbone
            // with heads fitted on its features (ecglens), with `ecg fit-fusion`.
            let trainCommand = entry.backbone == nil ? "ecg train \(entry.key)" : "ecg fit-fusion"
            #expect(entry.description?.isEmpty == false && entry.train?.hasPrefix(trainCommand) == true, "\(entry.key)")
            #expect(!(entry.train ?? "").contains("/work/") && !(entry.train ?? "").contains("/tmp/"))
            let card = try String(contentsOf: try #require(registry.cardURL(entry)), encoding: .utf8)
            // The card's headline, as its author wrote it: "macro-F1 **76.6 %** (63.4–86.1)".
            let f1 = String(format: "%.1f %%", evaluation.macroF1 * 100)
            let interval = String(format: "(%.1f–%.1f)", evaluation.macroF1Interval[0] * 100, evaluation.macroF1Interval[1] * 100)
            #expect(card.contains(f1) && card.contains(interval), "\(entry.key): card lacks \(f1) \(interval)")
            #expect(card.contains(String(format: "%.1f %%", evaluation.accuracy * 100)), "\(entry.key)")
            #expect(evaluation.accuracyInterval.count == 2 && evaluation.testImages == 79)
        }
    }

    @Test("The committed trained weights record no absolute paths and carry a calibration where a held-out split allows one")
    func committedWeights() throws {
        let registry = try ModelRegistry(contentsOf: repositoryRoot.appendingPathComponent("models/models.json"))
        for key in ["ecglens", "small_cnn", "mobilenetv2"] {
            let classifier = try Classifier(entry: registry.entry(key), registry: registry)
            #expect(!classifier.provenance.contains("/work/") && !classifier.provenance.contains("/tmp/") && !classifier.provenance.contains("/home/"))
        }
        // MobileNetV2's head is fitted on training + validation (`ecg fit-head`), so no held-out split is
        // left to fit its temperature on: it stays uncalibrated (T = 1) until calibration can use
        // out-of-fold predictions. The small CNN was trained on the training split only.
        let smallCNN = try Classifier(entry: registry.entry("small_cnn"), registry: registry)
        #expect(smallCNN.temperature != 1 && smallCNN.uncertainBelow != nil, "small_cnn is calibrated")
        // ecglens's temperature is fitted on out-of-fold fused predictions of its fitting pages.
        let fused = try Classifier(entry: registry.entry("ecglens"), registry: registry)
        #expect(fused.temperature != 1 && fused.uncertainBelow != nil, "ecglens is calibrated")
    }
}
