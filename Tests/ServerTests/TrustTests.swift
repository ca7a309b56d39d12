import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageIO
import Inference
import Server
import Testing

/// A stand-in model that answers every image with fixed probabilities, to reach the confident
/// and uncertain paths on purpose.
struct FixedAnswer: BatchClassifying {
    let key = "small_cnn"
    let displayName = "Small CNN"
    let trained = true
    let probabilities: [Float]
    let uncertainBelow: Double?

    func classify(_ images: [RGBImage]) throws -> [Prediction] {
        images.map { _ in
            Prediction(classes: ecgClasses, probabilities: probabilities,
                       timings: .init(preprocessMilliseconds: 0, inferenceMilliseconds: 0))
        }
    }
}

@Suite("Trust: untrained models refused, model facts, uncertain answers")
struct TrustTests {
    @Test("Without --allow-untrained, untrained weights are not_trained and every path refuses them")
    func untrainedRefused() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server(allowUntrained: false)) { client in
                let models = try #require(try await client.execute(uri: "/api/v1/models", method: .get).json["models"] as? [[String: Any]])
                #expect(models[0]["status"] as? String == "not_trained")
                #expect((models[0]["reason"] as? String)?.contains("its weights are random") == true)

                let api = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", sample: "Normal"))
                #expect(api.status == .conflict)
                #expect(api.json["error"] as? String == "model_not_trained")
                #expect((api.json["message"] as? String)?.contains("--allow-untrained") == true)
                // The default model is the untrained one, so a request naming none is refused too.
                let implicit = try await client.post("/api/v1/predict", form: Multipart.form(image: Fixture.png()))
                #expect(implicit.status == .conflict)

                let page = try await client.post("/predict", form: Multipart.form(model: "small_cnn", sample: "Normal"))
                #expect(page.status == .conflict)
                #expect(page.text.contains("role=\"alert\"") && page.text.contains("Small CNN is not trained"))
                let fragment = try await client.post("/predict?fragment=1", form: Multipart.form(sample: "Normal"))
                #expect(fragment.status == .conflict && fragment.text.contains("is not trained"))

                let run = try await client.execute(uri: "/run", method: .get).text
                #expect(run.contains(#"value="small_cnn" disabled"#))
                #expect(run.contains("not trained: its weights are random"))
                #expect(!run.contains(">ready<"))

                // /ready: the default model cannot answer.
                let ready = try await client.execute(uri: "/ready", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect((ready.json["models"] as? [[String: Any]])?.first?["status"] as? String == "not_trained")
            }
        }
    }

    @Test("With --allow-untrained the untrained model answers, labelled, and /ready is 200")
    func untrainedAllowed() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server(allowUntrained: true)) { client in
                let api = try await client.post("/api/v1/predict", form: Multipart.form(sample: "Normal"))
                #expect(api.status == .ok)
                #expect(api.json["trained"] as? Bool == false)
                #expect(try await client.execute(uri: "/ready", method: .get).status == .ok)
                let run = try await client.execute(uri: "/run", method: .get).text
                #expect(run.contains(#"value="small_cnn" checked"#) && run.contains("allowed for development"))
            }
        }
    }

    /// A server over the fixture's files with a registry that has figures, a data set and a card.
    private func describedServer(_ fixture: Fixture) async throws -> ECGServer {
        let cards = fixture.directory.appendingPathComponent("cards")
        try FileManager.default.createDirectory(at: cards, withIntermediateDirectories: true)
        try Data("# Model card: Small CNN\nTrained on the test split of nothing.\n".utf8).write(to: cards.appendingPathComponent("small_cnn.md"))
        let url = fixture.directory.appendingPathComponent("described.json")
        try Data("""
            {"default": "small_cnn",
             "datasets": {"khan2021": {"name": "Khan et al. 2021", "citation": "A. H. Khan, M. Hussain (2021)",
                                       "license": "CC BY 4.0", "url": "https://doi.org/10.17632/gwbz3fsgp8.2"}},
             "models": [
              {"key": "small_cnn", "name": "Small CNN", "architecture": "small_cnn", "weights": "weights/small_cnn.safetensors",
               "description": "A small network.", "dataset": "khan2021", "card": "cards/small_cnn.md",
               "evaluation": {"macro_f1": 0.766, "macro_f1_ci": [0.634, 0.861], "accuracy": 0.785, "accuracy_ci": [0.696, 0.873],
                              "test_images": 79, "split": "the test split"},
               "train": "ecg train small_cnn --data Data --out models/weights/small_cnn.safetensors"},
              {"key": "missing", "architecture": "small_cnn", "weights": "weights/missing.safetensors", "train": "ecg train small_cnn --data Data"}
             ]}
            """.utf8).write(to: url)
        let metrics = ServerMetrics()
        let catalog = ModelCatalog(registry: try ModelRegistry(contentsOf: url), maxPixels: ImageDecoder.defaultMaxPixels, metrics: metrics)
        return try await ECGServer(catalog: catalog, gallery: SampleGallery(directory: fixture.samplesURL), metrics: metrics)
    }

    @Test("GET /api/v1/models and the run page show the measured figures, the data set, the card and the train command")
    func modelFacts() async throws {
        try await withFixture { fixture in
            try await withRouter(describedServer(fixture)) { client in
                let models = try #require(try await client.execute(uri: "/api/v1/models", method: .get).json["models"] as? [[String: Any]])
                let evaluation = try #require(models[0]["evaluation"] as? [String: Any])
                #expect(evaluation["macro_f1"] as? Double == 0.766 && evaluation["macro_f1_ci"] as? [Double] == [0.634, 0.861])
                #expect(evaluation["accuracy"] as? Double == 0.785 && evaluation["test_images"] as? Int == 79)
                #expect((models[0]["dataset"] as? [String: Any])?["license"] as? String == "CC BY 4.0")
                #expect(models[0]["card"] as? String == "/models/small_cnn/card")
                #expect(models[0]["train_command"] as? String == "ecg train small_cnn --data Data --out models/weights/small_cnn.safetensors")
                #expect(models[1]["status"] as? String == "not_installed" && models[1]["card"] == nil)
                #expect((models[1]["reason"] as? String)?.contains("ecg train small_cnn --data Data") == true)

                let run = try await client.execute(uri: "/run", method: .get).text
                for text in ["Test macro-F1 76.6 % (95 % CI 63.4–86.1), accuracy 78.5 % (95 % CI 69.6–87.3), on 79 test images",
                             "Khan et al. 2021", "CC BY 4.0", #"href="/models/small_cnn/card""#, "A small network.",
                             "ecg train small_cnn --data Data --out models/weights/small_cnn.safetensors"] {
                    #expect(run.contains(text), "\(text)")
                }
                #expect(!run.contains("random initialisation"), "no raw provenance on the page")
                let home = try await client.execute(uri: "/", method: .get).text
                #expect(home.contains("Test macro-F1 76.6 %") && home.contains(#"href="/models/small_cnn/card""#))

                let card = try await client.execute(uri: "/models/small_cnn/card", method: .get)
                #expect(card.status == .ok && card.text.hasPrefix("# Model card: Small CNN"))
                #expect(try await client.execute(uri: "/models/missing/card", method: .get).status == .notFound)
                #expect(try await client.execute(uri: "/models/nope/card", method: .get).status == .notFound)
            }
        }
    }

    @Test("A registry entry naming an unknown data set is refused with the registry's path")
    func unknownDataset() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("models.json")
            try Data(#"{"models": [{"key": "a", "architecture": "small_cnn", "weights": "a.safetensors", "dataset": "nope"}]}"#.utf8).write(to: url)
            #expect(throws: RegistryError.self) { try ModelRegistry(contentsOf: url) }
            do { _ = try ModelRegistry(contentsOf: url) } catch { #expect("\(error)".contains("models.json") && "\(error)".contains("nope")) }
        }
    }

    @Test("Close top classes or a low calibrated top probability answer as uncertain with the two leading classes")
    func uncertain() async throws {
        let cases: [([Float], Double?, String, [String])] = [
            ([0.40, 0.35, 0.15, 0.10], nil, "low", ["Abnormal_Heartbeat", "History_Myocardial_Infarction"]),
            ([0.10, 0.15, 0.05, 0.70], 0.8, "low", ["Normal", "History_Myocardial_Infarction"]),
            ([0.10, 0.05, 0.80, 0.05], 0.5, "high", ["Myocardial_Infarction", "Abnormal_Heartbeat"]),
        ]
        for (probabilities, threshold, confidence, leading) in cases {
            try await withFixture { fixture in
                let server = try await fixture.server { _, _ in FixedAnswer(probabilities: probabilities, uncertainBelow: threshold) }
                try await withRouter(server) { client in
                    let api = try await client.post("/api/v1/predict", form: Multipart.form(image: Fixture.png()))
                    #expect(api.json["confidence"] as? String == confidence)
                    #expect(api.json["leading_classes"] as? [String] == leading)
                    let page = try await client.post("/predict?fragment=1", form: Multipart.form(image: Fixture.png())).text
                    if confidence == "low" {
                        #expect(page.contains("Uncertain: \(leading.map(label).joined(separator: " or "))"), "\(page)")
                        #expect(page.contains("LOW CONFIDENCE") && !page.contains(">Prediction:"))
                    } else {
                        #expect(page.contains("Prediction: \(label(leading[0]))") && !page.contains("Uncertain"))
                    }
                }
            }
        }
    }

    private func label(_ name: String) -> String {
        ["Abnormal_Heartbeat": "Abnormal heartbeat", "History_Myocardial_Infarction": "History of myocardial infarction",
         "Myocardial_Infarction": "Myocardial infarction", "Normal": "Normal"][name]!
    }
}

@Suite("Pages: old URLs, favicon, plain-word errors")
struct PageExtrasTests {
    @Test("The old app's /run-model redirects, its `file` field is accepted, and /favicon.ico is an icon")
    func oldApp() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let get = try await client.execute(uri: "/run-model", method: .get)
                #expect(get.status == .movedPermanently && get.headers[.location] == "/run")
                let post = try await client.post("/run-model", form: Multipart.form(sample: "Normal"))
                #expect(post.status == .temporaryRedirect && post.headers[.location] == "/predict")

                var form = Multipart()
                form.file("file", Fixture.png())
                let old = try await client.post("/predict", form: form.finished)
                #expect(old.status == .ok && old.text.contains("result-heading"))
                let api = try await client.post("/api/v1/predict", form: form.finished)
                #expect(api.status == .ok && api.json["prediction"] != nil)

                let icon = try await client.execute(uri: "/favicon.ico", method: .get)
                #expect(icon.status == .ok && icon.headers[.contentType] == "image/x-icon")
                #expect(Array(icon.body.readableBytesView.prefix(4)) == [0, 0, 1, 0])
                #expect(try await client.execute(uri: "/", method: .get).text.contains(#"<link rel="icon" href="/favicon.ico""#))
            }
        }
    }

    @Test("An empty form answers in plain words on the page; the API keeps its field names")
    func emptySubmit() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                var empty = Multipart()
                empty.file("image", filename: "", contentType: "application/octet-stream", [])
                let page = try await client.post("/predict", form: empty.finished)
                #expect(page.status == .badRequest)
                #expect(page.text.contains("Choose an ECG image (a JPEG or PNG file) or click one of the sample pages first"))
                #expect(!page.text.contains("field \"image\"") && !page.text.contains("field &quot;image&quot;"))
                let fragment = try await client.post("/predict?fragment=1", form: empty.finished)
                #expect(fragment.status == .badRequest && fragment.text.contains("Choose an ECG image"))
                let api = try await client.post("/api/v1/predict", form: empty.finished)
                #expect(api.status == .badRequest && (api.json["message"] as? String)?.contains("\"image\"") == true)
            }
        }
    }

    @Test("Without JavaScript the form post lands on the result; the home example is captioned synthetic")
    func noScriptAndCaption() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let run = try await client.execute(uri: "/run", method: .get).text
                #expect(run.contains(#"action="/predict#result""#) && run.contains(#"<section id="result""#))
                let home = try await client.execute(uri: "/", method: .get).text
                #expect(home.contains("A synthetic page of class Abnormal heartbeat, drawn by ECGLens: not patient data."))
            }
        }
    }
}

/// Runs `body` with a new temporary folder, removed afterwards.
func withTemporaryFolder<R>(_ body: (URL) throws -> R) throws -> R {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("TrustTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder)
}
