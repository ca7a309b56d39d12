import Foundation
import Inference
import Server
import Testing

/// The catalog resolves the registry once (and on `reload()`): describing the models reads no file.
@Suite("Model catalog")
struct CatalogTests {
    @Test("Descriptions are looked up, not read from disk, until an explicit reload")
    func descriptionsAreResolvedOnce() async throws {
        try await withFixture { fixture in
            let server = try await fixture.server()
            defer { server.catalog.stop() }
            func status(_ key: String) -> ModelDescription.State? {
                server.catalog.descriptions().first { $0.key == key }?.status
            }
            #expect(status("small_cnn") == .notTrained && status("missing") == .notInstalled)

            // Install the missing model and remove the other one's file: requests still see the start state.
            try fixture.registry.writeRandomWeights(for: fixture.registry.entry("missing"), seed: 3)
            try FileManager.default.removeItem(at: fixture.registry.weightsURL(fixture.registry.entry("small_cnn")))
            #expect(status("small_cnn") == .notTrained && status("missing") == .notInstalled)

            server.catalog.reload()
            #expect(status("small_cnn") == .notInstalled && status("missing") == .notTrained)
        }
    }

    @Test("A model's described input is its weights metadata's when the entry sets none, as the classifier uses")
    func descriptionFollowsMetadata() async throws {
        try await withFixture { fixture in
            var entry = try fixture.registry.entry("missing")
            entry.inputSize = 64
            try fixture.registry.writeRandomWeights(for: entry, seed: 3)  // metadata: 64 px; the registry entry names none
            let server = try await fixture.server()
            defer { server.catalog.stop() }
            let described = try #require(server.catalog.descriptions().first { $0.key == "missing" })
            let classifier = try Classifier(entry: fixture.registry.entry("missing"), registry: fixture.registry)
            #expect(described.inputSize == 64 && classifier.inputSize == 64)
            #expect(described.preprocessing == classifier.input.preprocessing.rawValue)
        }
    }
}
