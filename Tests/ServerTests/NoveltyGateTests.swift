import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Inference
import Server
import Testing

/// The novelty check through the API and the HTML form: a page that passes the page check but
/// whose features lie far from the model's training pages is refused (422 `not_an_ecg`, with the
/// novelty distance), `gate=0` classifies it anyway, and `/api/v1/models` says which models have one.
@Suite("Novelty check in the server")
struct NoveltyGateTests {
    static let page = Fixture.ecgLikePage(width: 240, height: 170, phase: 5)

    /// Writes a novelty check for the fixture's `small_cnn` whose nearest class mean lies at
    /// distance exactly 1 from `page`'s features (identity whitening), with `threshold`.
    static func writeNoveltyCheck(_ fixture: Fixture, threshold: Double) throws {
        let entry = try fixture.registry.entry("small_cnn")
        let classifier = try Classifier(entry: entry, registry: fixture.registry, loadingNovelty: false)
        let features = try classifier.penultimateFeatures([InputGate().examine(page).image])[0]
        let d = features.count
        let means = classifier.classes.indices.map { c in features.enumerated().map { $0.offset == 0 ? $0.element + Float(c + 1) : $0.element } }
        let identity = (0..<(d * d)).map { $0 / d == $0 % d ? Float(1) : 0 }
        let model = try NoveltyModel(classes: classifier.classes, featureLayer: "dense", means: means, whitening: identity, threshold: threshold)
        try model.write(to: fixture.registry.noveltyURL(entry), network: classifier.network)
    }

    @Test("A page far from the training pages: 422 not_an_ecg with the distance (API and form); gate=0 classifies it")
    func refuses() async throws {
        try await withFixture { fixture in
            try Self.writeNoveltyCheck(fixture, threshold: 0.5)
            try await withRouter(fixture.server()) { client in
                let png = Array(try ImageEncoder.png(Self.page))
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: png))
                #expect(response.status == .unprocessableContent)
                let json = response.json
                #expect(json["error"] as? String == "not_an_ecg")
                #expect((json["message"] as? String)?.contains("does not look like the ECG pages this model was trained on") == true)
                #expect((json["reasons"] as? [String])?.count == 1)
                #expect((json["reasons"] as? [String])?.first?.hasPrefix("out of distribution") == true)
                let novelty = try #require(json["novelty"] as? [String: Any])
                #expect(abs((novelty["distance"] as? Double ?? 0) - 1) < 0.01)
                #expect(novelty["threshold"] as? Double == 0.5)
                #expect(novelty["accepted"] as? Bool == false)
                #expect(novelty["nearest_class"] as? String == "Abnormal_Heartbeat")
                #expect(abs((json["score"] as? Double ?? 0) - 0.5) < 0.01, "threshold over distance")

                let form = try await client.post("/predict", form: Multipart.form(model: "small_cnn", image: png))
                #expect(form.status == .unprocessableContent)
                #expect(form.text.contains("does not look like the ECG pages this model was trained on (novelty distance 1.0, at most 0.5)"))
                #expect(form.text.contains("Skip the page check"))

                let forced = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: png, gate: "0"))
                #expect(forced.status == .ok)
                let page = try #require(forced.json["page"] as? [String: Any])
                #expect(page["accepted"] as? Bool == false)
                #expect((page["novelty"] as? [String: Any])?["accepted"] as? Bool == false)

                let models = try await client.execute(uri: "/api/v1/models", method: .get).json["models"] as? [[String: Any]] ?? []
                let checks = Dictionary(uniqueKeysWithValues: models.map { ($0["key"] as? String ?? "", $0["novelty_check"] as? String) })
                #expect(checks["small_cnn"] == "fitted")
                #expect(checks["missing"] == "not_fitted")
            }
        }
    }

    @Test("A page within the threshold is classified as before, and its answer carries the novelty score")
    func accepts() async throws {
        try await withFixture { fixture in
            let png = Array(try ImageEncoder.png(Self.page))
            let without = Answer()
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: png))
                #expect(response.status == .ok)
                #expect((response.json["page"] as? [String: Any])?["novelty"] == nil, "no novelty check fitted yet")
                without.set(response.json["probabilities"] as? [String: Double])
            }
            try Self.writeNoveltyCheck(fixture, threshold: 2)
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: png))
                #expect(response.status == .ok)
                let page = try #require(response.json["page"] as? [String: Any])
                #expect(page["accepted"] as? Bool == true)
                let novelty = try #require(page["novelty"] as? [String: Any])
                #expect(novelty["accepted"] as? Bool == true)
                #expect(abs((novelty["distance"] as? Double ?? 0) - 1) < 0.01)
                #expect(response.json["probabilities"] as? [String: Double] == without.get(), "the same forward pass, the same answer")
            }
        }
    }
}

/// The first answer's probabilities, kept for the second router's request.
private final class Answer: @unchecked Sendable {
    private let lock = NSLock()
    private var probabilities: [String: Double]?

    func set(_ value: [String: Double]?) { lock.withLock { probabilities = value } }
    func get() -> [String: Double]? { lock.withLock { probabilities } }
}
