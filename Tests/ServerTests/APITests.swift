import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageIO
import Inference
import Server
import Testing

@Suite("JSON API")
struct APITests {
    @Test("GET /api/v1/models lists every model with its status, and untrained weights as not_trained, trained: false")
    func models() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.execute(uri: "/api/v1/models", method: .get)
                #expect(response.status == .ok)
                let json = response.json
                #expect(json["default"] as? String == "small_cnn")
                let models = try #require(json["models"] as? [[String: Any]])
                #expect(models.map { $0["key"] as? String } == ["small_cnn", "missing", "broken"])
                #expect(models.map { $0["status"] as? String } == ["not_trained", "not_installed", "failed"])
                #expect(models[0]["trained"] as? Bool == false)
                #expect(models[0]["input_size"] as? Int == 299)
                #expect((models[1]["reason"] as? String)?.contains("not installed") == true)
                #expect((models[0]["reason"] as? String)?.contains("not trained") == true)
            }
        }
    }

    @Test("GET /api/v1/samples lists one sample per class")
    func samples() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.execute(uri: "/api/v1/samples", method: .get)
                let samples = try #require(response.json["samples"] as? [[String: Any]])
                #expect(samples.map { $0["id"] as? String } == ecgClasses)
                #expect(samples[0]["url"] as? String == "/samples/Abnormal_Heartbeat")
                let image = try await client.execute(uri: "/samples/Normal", method: .get)
                #expect(image.status == .ok)
                #expect(image.headers[.contentType] == "image/png")
                #expect(Array(image.body.readableBytesView) == Fixture.png(phase: 120))
            }
        }
    }

    @Test("POST /api/v1/predict classifies an upload exactly as the Classifier does")
    func predictUpload() async throws {
        try await withFixture { fixture in
            let image = Fixture.png(phase: 5)  // an ECG-like page the gate accepts
            let expected = try Classifier(entry: fixture.registry.entry("small_cnn"), registry: fixture.registry)
                .classify(imageData: image)
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: image))
                #expect(response.status == .ok)
                let json = response.json
                #expect(json["model"] as? String == "small_cnn")
                #expect(json["model_name"] as? String == "Small CNN")
                #expect(json["trained"] as? Bool == false)
                #expect(json["prediction"] as? String == expected.predictedClass)
                let probabilities = try #require(json["probabilities"] as? [String: Double])
                #expect(Set(probabilities.keys) == Set(ecgClasses))
                for (name, p) in zip(expected.classes, expected.probabilities) {
                    #expect(abs(probabilities[name]! - Double(p)) < 1e-6)
                }
                let timings = try #require(json["timings_ms"] as? [String: Double])
                #expect(Set(timings.keys) == ["queue", "decode", "preprocess", "inference", "total"])
                #expect(timings["total"]! >= timings["inference"]!)
                #expect((json["notice"] as? String)?.contains("not a medical device") == true)
            }
        }
    }

    @Test("POST /api/v1/predict takes a sample name, as multipart or url-encoded, and the default model")
    func predictSample() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let multipart = try await client.post("/api/v1/predict", form: Multipart.form(sample: "Normal"))
                #expect(multipart.status == .ok)
                #expect(multipart.json["sample"] as? String == "Normal")
                #expect(multipart.json["model"] as? String == "small_cnn")
                let encoded = try await client.execute(
                    uri: "/api/v1/predict", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "model=small_cnn&sample=Normal"))
                #expect(encoded.status == .ok)
                #expect(encoded.json["prediction"] as? String == multipart.json["prediction"] as? String)
            }
        }
    }

    @Test("GET /health, /ready and unknown paths answer JSON with the security headers")
    func operations() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .ok)
                #expect(health.json["status"] as? String == "ok")
                #expect(health.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
                #expect(health.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("unsafe-inline") == false)
                #expect(health.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(health.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                let ready = try await client.execute(uri: "/ready", method: .get)
                #expect(ready.status == .ok)
                #expect(ready.json["ready"] as? Bool == true)
                let missing = try await client.execute(uri: "/no/such/page", method: .get)
                #expect(missing.status == .notFound)
                #expect(missing.json["error"] as? String == "not_found")
            }
        }
    }

    @Test("GET /ready is 503 when the default model is not installed")
    func notReady() async throws {
        try await withFixture(defaultModel: "missing") { fixture in
            try await withRouter(fixture.server()) { client in
                let ready = try await client.execute(uri: "/ready", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.json["ready"] as? Bool == false)
            }
        }
    }

    @Test("GET /metrics counts requests, latencies, inference, errors and loaded models")
    func metrics() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                _ = try await client.execute(uri: "/health", method: .get)
                _ = try await client.post("/api/v1/predict", form: Multipart.form(sample: "Normal"))
                _ = try await client.post("/api/v1/predict", form: Multipart.form(model: "nope", sample: "Normal"))
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = response.text
                #expect(text.contains(#"ecg_http_requests_total{method="GET",route="/health",status="200"} 1"#))
                #expect(text.contains(#"ecg_http_requests_total{method="POST",route="/api/v1/predict",status="200"} 1"#))
                #expect(text.contains(#"ecg_http_requests_total{method="POST",route="/api/v1/predict",status="404"} 1"#))
                #expect(text.contains(#"ecg_http_request_duration_seconds_count{route="/health"} 1"#))
                #expect(text.contains(#"ecg_inference_duration_seconds_count{model="small_cnn"} 1"#))
                #expect(text.contains(#"ecg_prediction_errors_total{error="unknown_model",model="unknown"} 1"#))
                #expect(text.contains("ecg_models_loaded 1.0\n"))  // swift-prometheus writes a gauge as a Double
            }
        }
    }
}
