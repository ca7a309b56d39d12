import Foundation
import ImageIO
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

    @Test("A model's described input contract is the one its classifier uses: metadata where the entry sets none, else the entry's")
    func descriptionFollowsMetadata() async throws {
        try await withFixture { fixture in
            var entry = try fixture.registry.entry("missing")
            entry.inputSize = 64
            entry.preprocessing = .imagenet
            entry.resize = .nearest
            entry.crop = .ecgTrace
            try fixture.registry.writeRandomWeights(for: entry, seed: 3)  // metadata: the contract above; the registry entry names none
            let server = try await fixture.server()
            defer { server.catalog.stop() }
            for key in ["missing", "small_cnn"] {
                let described = try #require(server.catalog.descriptions().first { $0.key == key })
                let input = try Classifier(entry: fixture.registry.entry(key), registry: fixture.registry).input
                #expect(described.inputSize == input.inputSize && described.preprocessing == input.preprocessing.rawValue)
                #expect(described.resize == input.resize.rawValue && described.crop == input.crop)
            }
            let missing = try #require(server.catalog.descriptions().first { $0.key == "missing" })
            #expect(missing.inputSize == 64 && missing.preprocessing == "imagenet" && missing.resize == "nearest" && missing.crop == .ecgTrace)
        }
    }

    @Test("GET /api/v1/models reports each model's input contract as its classifier uses it")
    func apiReportsTheClassifiersContract() async throws {
        try await withFixture { fixture in
            var entry = try fixture.registry.entry("missing")
            (entry.inputSize, entry.preprocessing, entry.crop) = (48, .standard, .ecgTrace)
            try fixture.registry.writeRandomWeights(for: entry, seed: 4)
            try await withRouter(fixture.server()) { client in
                let models = try #require(try await client.execute(uri: "/api/v1/models", method: .get).json["models"] as? [[String: Any]])
                for key in ["missing", "small_cnn"] {
                    let model = try #require(models.first { $0["key"] as? String == key })
                    let input = try Classifier(entry: fixture.registry.entry(key), registry: fixture.registry).input
                    #expect(model["input_size"] as? Int == input.inputSize)
                    #expect(model["preprocessing"] as? String == input.preprocessing.rawValue && model["resize"] as? String == input.resize.rawValue)
                    let crop = (model["crop"] as? [String: Double]).flatMap {
                        CropBox(left: $0["left"] ?? -1, top: $0["top"] ?? -1, right: $0["right"] ?? -1, bottom: $0["bottom"] ?? -1)
                    }
                    #expect(crop == input.crop, "\(key)")
                }
            }
        }
    }
}
