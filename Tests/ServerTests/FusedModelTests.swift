import Checkpoints
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Inference
import Server
import Synth
import Tensors
import Testing

/// ECGLens's own model (`ecglens`, the committed registry's default): MobileNetV2's image head
/// and a trace-measurement head, fused. These run the committed weights end to end.
@Suite("The fused image + trace model (ecglens)")
struct FusedModelTests {
    static let registryURL = repositoryRoot.appendingPathComponent("models/models.json")

    /// A clean generated page at the reports' resolution, which the digitiser reads.
    static func readablePage() throws -> SyntheticPage {
        try SyntheticPage.make(.myocardialInfarction, seed: 5, index: 1, options: PageOptions(width: 1106, height: 786))
    }

    @Test("A read page's answer is the temperature-scaled geometric mean of the image head's and the trace head's")
    func fusedAnswer() throws {
        let registry = try ModelRegistry(contentsOf: Self.registryURL)
        let classifier = try Classifier(entry: registry.entry("ecglens"), registry: registry)
        let fusion = try #require(classifier.fusion)
        #expect(fusion.featureNames == TraceFeatures.featureNames && classifier.trained)
        let image = try ImageDecoder.decode(Self.readablePage().file)
        let prediction = try classifier.classify([image])[0]
        let evidence = try #require(prediction.fusion)
        #expect(evidence.traceRead && evidence.refusal == nil)

        // The same page through the image network alone, and through the trace head alone.
        var imageOnly = classifier
        imageOnly.fusion = nil
        imageOnly.temperature = 1
        let imageProbabilities = try imageOnly.classify([image])[0].probabilities
        let row = TraceRow(image)
        #expect(row.refusal == nil && row.values.count == TraceFeatures.featureNames.count)
        let expected = TemperatureScaling.apply(
            TraceFusion.fuse(image: imageProbabilities, trace: fusion.traceProbabilities(row.values), weight: fusion.imageWeight),
            temperature: classifier.temperature)
        for (got, want) in zip(prediction.probabilities, expected) { #expect(abs(got - want) < 1e-5) }
        #expect(abs(prediction.probabilities.reduce(0, +) - 1) < 1e-5)

        // The evidence lists measurements by falling magnitude, each w (x - mean) of the answer's class.
        let predicted = try #require(classifier.classes.firstIndex(of: prediction.predictedClass))
        let contributions = fusion.contributions(row.values, class: predicted)
        #expect(evidence.measurements.count == min(FusionEvidence.shown, contributions.count) && !evidence.measurements.isEmpty)
        #expect(evidence.measurements.map(\.name) == contributions.prefix(FusionEvidence.shown).map(\.name))
        let magnitudes = evidence.measurements.map { abs($0.contribution) }
        #expect(magnitudes == magnitudes.sorted(by: >))
        #expect(Set(evidence.image.keys) == Set(classifier.classes) && evidence.trace?.count == classifier.classes.count)
        // Per lead: the sums of that lead's measurements' contributions.
        #expect(Set(evidence.leads.map(\.lead)).isSubset(of: ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]))
        if let first = evidence.leads.first {
            let sum = contributions.filter { $0.name.hasSuffix("_\(first.lead)") }.map(\.contribution).reduce(0, +)
            #expect(abs(sum - first.contribution) < 1e-5)
        }

        // Batch scoring's prepared pages answer the same.
        let prepared = try classifier.classify(prepared: [classifier.prepare(image)])[0]
        #expect(prepared.probabilities == prediction.probabilities && prepared.fusion == prediction.fusion)
    }

    @Test("A page the digitiser refuses is answered by the image head alone, and says so")
    func refusedPageFallsBack() throws {
        let registry = try ModelRegistry(contentsOf: Self.registryURL)
        let classifier = try Classifier(entry: registry.entry("ecglens"), registry: registry)
        let blank = RGBImage(width: 400, height: 300, pixels: [UInt8](repeating: 255, count: 400 * 300 * 3))
        let prediction = try classifier.classify([blank])[0]
        let evidence = try #require(prediction.fusion)
        #expect(!evidence.traceRead && evidence.refusal?.isEmpty == false && evidence.trace == nil && evidence.measurements.isEmpty)
        #expect(evidence.leads.isEmpty)
        var imageOnly = classifier
        imageOnly.fusion = nil
        #expect(try imageOnly.classify([blank])[0].probabilities == prediction.probabilities)
    }

    @Test("A head fitted on another backbone, or on other trace features, is refused with the file named")
    func mismatchesRefused() throws {
        let registry = try ModelRegistry(contentsOf: Self.registryURL)
        let entry = try registry.entry("ecglens")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("FusedModelTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let head = try SafetensorsFile(contentsOf: registry.weightsURL(entry))
        let backbone = try SafetensorsFile(contentsOf: try #require(registry.backboneURL(entry)))

        // The backbone with one weight nudged.
        let nudged = try backbone.names.map { name -> (name: String, tensor: Tensor) in
            let tensor = try backbone.tensor(name)
            guard name == "Conv1/kernel" else { return (name, tensor) }
            return (name, try Tensor(shape: tensor.shape, values: tensor.scalars.map { $0 * 1.001 }))
        }
        try SafetensorsFile.write(nudged, metadata: backbone.metadata, to: directory.appendingPathComponent("backbone.safetensors"))
        // The head with other trace features recorded.
        var metadata = head.metadata
        metadata["fusion.trace_features"] = "trace-features/0"
        try SafetensorsFile.write(try head.names.map { ($0, try head.tensor($0)) }, metadata: metadata,
                                  to: directory.appendingPathComponent("old-trace.safetensors"))
        try FileManager.default.copyItem(at: registry.weightsURL(entry), to: directory.appendingPathComponent("head.safetensors"))
        try FileManager.default.copyItem(at: try #require(registry.backboneURL(entry)), to: directory.appendingPathComponent("good.safetensors"))

        var other = entry
        (other.weights, other.backbone) = ("head.safetensors", "backbone.safetensors")
        var stale = entry
        (stale.weights, stale.backbone) = ("old-trace.safetensors", "good.safetensors")
        let local = try ModelRegistry(entries: [other, stale].enumerated().map { index, entry in
            var entry = entry
            entry.key = "m\(index)"
            return entry
        }, baseDirectory: directory)
        #expect { try Classifier(entry: local.entry("m0"), registry: local) } throws: { error in
            "\(error)".contains("head.safetensors") && "\(error)".contains("another backbone")
        }
        #expect { try Classifier(entry: local.entry("m1"), registry: local) } throws: { error in
            "\(error)".contains("old-trace.safetensors") && "\(error)".contains("trace-features/0")
        }
    }

    @Test("POST /api/v1/predict with the fused model answers its evidence as `fusion`")
    func apiAnswer() async throws {
        let page = try Self.readablePage()
        try await withFixture { fixture in
            // The fixture's registry with the committed ecglens entry added, its files named absolutely.
            let registry = try ModelRegistry(contentsOf: Self.registryURL)
            var entry = try registry.entry("ecglens")
            entry.weights = registry.weightsURL(entry).path
            entry.backbone = registry.backboneURL(entry)?.path
            let local = try ModelRegistry(entries: fixture.registry.entries + [entry], baseDirectory: fixture.registry.baseDirectory)
            let server = try await fixture.server(registry: local)
            try await withRouter(server) { client in
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "ecglens", image: Array(page.file)))
                #expect(response.status == .ok)
                #expect(response.json["model"] as? String == "ecglens" && response.json["trained"] as? Bool == true)
                let fusion = try #require(response.json["fusion"] as? [String: Any])
                #expect(fusion["trace_read"] as? Bool == true)
                #expect((fusion["image"] as? [String: Double])?.count == 4 && (fusion["trace"] as? [String: Double])?.count == 4)
                let measurements = try #require(fusion["measurements"] as? [[String: Any]])
                #expect(!measurements.isEmpty && measurements.allSatisfy { $0["name"] is String && $0["contribution"] is Double })
                #expect((fusion["leads"] as? [[String: Any]])?.isEmpty == false)
                // The result page shows it in words: no raw column names.
                let result = try await client.post("/predict", form: Multipart.form(model: "ecglens", image: Array(page.file)))
                let html = result.text
                #expect(result.status == .ok && html.contains("Why this answer") && html.contains("Leads that weighed most"))
                let drivers = try #require(html.range(of: "<ol class=\"fusion-drivers\">").map { html[$0.upperBound...] })
                let list = drivers[..<(drivers.range(of: "</ol>")?.lowerBound ?? drivers.endIndex)]
                #expect(list.contains("<li>") && !list.contains("_"), "\(list)")
                // An image-only model answers without it.
                let plain = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: Array(page.file)))
                #expect(plain.status == .ok && plain.json["fusion"] == nil)
            }
        }
    }
}
