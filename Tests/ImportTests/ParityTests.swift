import Foundation
import Inference
import ImageIO
import Models
import Testing
@testable import WeightImport

/// Files written by Keras and PyTorch, imported, give the framework's own probabilities.
@Suite struct ParityTests {
    /// Imports `url`, serves it through the registry and classifies the sample page.
    static func check(_ url: URL, golden: Golden) throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let architecture = try #require(Architecture(rawValue: golden.architecture))
        let converted = folder.appendingPathComponent("model.safetensors")
        let metadata = try importWeights(
            from: url, architecture: architecture, to: converted,
            settings: ImportSettings(input: InputSpec.Overrides(
                inputSize: golden.inputSize, preprocessing: try #require(Preprocessing(rawValue: golden.preprocessing)),
                resize: try #require(ResizeFilter(rawValue: golden.resize)))))
        #expect(metadata.options.transformInput == (golden.transformInput ?? false))
        #expect(metadata.provenance == "imported from \(url.lastPathComponent)")

        let registry = try ModelRegistry(entries: [ModelEntry(key: "m", architecture: architecture, weights: converted.path)],
                                         baseDirectory: folder)
        let classifier = try Classifier(entry: registry.entry("m"), registry: registry)
        let prediction = try classifier.classify(imageData: Data(contentsOf: Fixtures.samplePage))
        let difference = zip(prediction.probabilities, golden.probabilities).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-4, "\(url.lastPathComponent): \(prediction.probabilities) vs \(golden.probabilities)")
    }

    static let committed = Golden.all.filter { $0.value.committed && $0.value.backboneOnly != true }.keys.sorted()

    @Test(arguments: committed)
    func importedFilesPredictTheFrameworksProbabilities(_ name: String) throws {
        try Self.check(Fixtures.url(name), golden: Golden.all[name]!)
    }

    /// MobileNetV2 (9 MB) is generated, not committed: run tools/reference/make_import_fixtures.py.
    static let mobileNet = Fixtures.repository.appendingPathComponent(".build/import-fixtures/mobilenetv2.keras")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: mobileNet.path),
                   ".build/import-fixtures/mobilenetv2.keras is absent (run tools/reference/make_import_fixtures.py)"))
    func aKerasMobileNetV2PredictsKerassProbabilities() throws {
        try Self.check(Self.mobileNet, golden: Golden.all["mobilenetv2.keras"]!)
    }

    @Test func theRegistryServesAKerasFileDirectlyConvertingItOnce() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("small.keras")
        try FileManager.default.copyItem(at: Fixtures.url("small_cnn_64.keras"), to: copy)
        var entry = ModelEntry(key: "small", architecture: .smallCNN, weights: "small.keras")
        entry.inputSize = 64
        let registry = try ModelRegistry(entries: [entry], baseDirectory: folder)
        let first = try Classifier(entry: entry, registry: registry)
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(".cache").path)
        #expect(cached.count == 1)
        let cachedURL = try registry.loadableWeightsURL(entry)
        let written = try FileManager.default.attributesOfItem(atPath: cachedURL.path)[.modificationDate] as? Date

        let second = try Classifier(entry: entry, registry: registry)
        #expect(try FileManager.default.attributesOfItem(atPath: cachedURL.path)[.modificationDate] as? Date == written)
        let image = try Data(contentsOf: Fixtures.samplePage)
        let probabilities = try first.classify(imageData: image).probabilities
        #expect(try second.classify(imageData: image).probabilities == probabilities)
        #expect(zip(probabilities, Golden.all["small_cnn_64.keras"]!.probabilities).allSatisfy { abs($0 - $1) <= 1e-4 })
        #expect(first.trained && first.provenance == "imported from small.keras")
        #expect(ModelStatus(entry: entry, registry: registry) == .ready(trained: true, provenance: "imported from small.keras"))
    }
}
