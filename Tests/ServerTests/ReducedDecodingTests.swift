import Foundation
import ImageIO
import Inference
import Server
import Testing

/// The server's workers decode uploads through the model's input contract (`decode_ratio`).
@Suite("Reduced decoding in the server")
struct ServerReducedDecodingTests {
    @Test("A classifier seen as BatchClassifying decodes as its contract says, not at full size")
    func workersUseTheContract() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reduced-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // 64 px from the whole page, twice over: 129 rows needed, so a 800 x 600 page decodes at 1/4.
        let entry = try JSONDecoder().decode(ModelEntry.self, from: Data(
            #"{"key": "s", "architecture": "small_cnn", "weights": "s.safetensors", "input_size": 64, "decode_ratio": 2}"#.utf8))
        let registry = try ModelRegistry(entries: [entry], baseDirectory: directory)
        try registry.writeRandomWeights(for: entry, seed: 3)
        let model: any BatchClassifying = try Classifier(entry: entry, registry: registry)
        let jpeg = [UInt8](try ImageEncoder.jpeg(Fixture.ecgLikePage(width: 800, height: 600), quality: 90))
        let decoded = try model.decode(jpeg, limits: .init())
        #expect((decoded.width, decoded.height) == (200, 150))
    }
}
