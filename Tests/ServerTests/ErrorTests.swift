import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Testing

/// Every refusal is a JSON `{error, message}` with the status the issue asks for, and the
/// server keeps answering afterwards.
@Suite("Errors")
struct ErrorTests {
    /// Posts `form` to the API and checks status and error code.
    private func expectError(
        _ client: some TestClientProtocol, _ form: ByteBuffer, headers: HTTPFields = [:],
        status: HTTPResponse.Status, code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let response = try await client.post("/api/v1/predict", form: form, headers: headers)
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.json["error"] as? String == code, "\(response.text)", sourceLocation: sourceLocation)
        #expect((response.json["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    }

    @Test("Bad requests: missing or doubled input, malformed multipart, unsupported body type")
    func badRequests() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let png = Fixture.png()
                try await expectError(client, Multipart.form(model: "small_cnn"), status: .badRequest, code: "bad_request")
                try await expectError(client, Multipart.form(model: "", sample: "Normal"), status: .badRequest, code: "bad_request")
                try await expectError(client, Multipart.form(sample: "", image: png), status: .badRequest, code: "bad_request")
                try await expectError(client, Multipart.form(sample: "Normal", image: png), status: .badRequest, code: "bad_request")
                try await expectError(client, ByteBuffer(string: "no boundary here"), status: .badRequest, code: "bad_request")
                try await expectError(
                    client, ByteBuffer(string: "--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc"),
                    headers: [.contentType: "multipart/form-data; boundary=x"], status: .badRequest, code: "bad_request")
                try await expectError(
                    client, ByteBuffer(string: "{}"), headers: [.contentType: "application/json"],
                    status: .unsupportedMediaType, code: "unsupported_media_type")
                try await expectError(
                    client, Multipart.form(image: Array("GIF89a......".utf8), imageType: "image/gif"),
                    status: .unsupportedMediaType, code: "unsupported_media_type")
                try await expectError(
                    client, Multipart.form(image: Array("GIF89a......".utf8), imageType: "application/octet-stream"),
                    status: .unsupportedMediaType, code: "unsupported_media_type")
            }
        }
    }

    @Test("Bad images: empty, not an image, corrupt, truncated, too many pixels")
    func badImages() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server(maxPixels: 100 * 100)) { client in
                let png = Fixture.png(width: 90, height: 90)
                try await expectError(client, Multipart.form(image: []), status: .badRequest, code: "empty_image")
                try await expectError(
                    client, Multipart.form(image: Array("hello, world".utf8), imageType: "application/octet-stream"),
                    status: .unprocessableContent, code: "not_an_image")
                var corrupt = png
                for index in 29..<33 { corrupt[index] ^= 0x5A }  // the header chunk's CRC
                try await expectError(client, Multipart.form(image: corrupt), status: .unprocessableContent, code: "corrupt_image")
                try await expectError(
                    client, Multipart.form(image: Array(png.prefix(png.count / 2))), status: .unprocessableContent,
                    code: "truncated_image")
                try await expectError(
                    client, Multipart.form(image: Fixture.png(width: 200, height: 200)), status: .unprocessableContent,
                    code: "image_too_large")
                // Small and square: decodable, but the page check would refuse it, so skip that.
                let fine = try await client.post("/api/v1/predict", form: Multipart.form(image: png, gate: "0"))
                #expect(fine.status == .ok)
            }
        }
    }

    @Test("Unknown model and sample are 404; a model without weights or with broken weights is 503")
    func models() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                try await expectError(client, Multipart.form(model: "resnet", sample: "Normal"), status: .notFound, code: "unknown_model")
                try await expectError(client, Multipart.form(sample: "Sinus"), status: .notFound, code: "unknown_sample")
                try await expectError(
                    client, Multipart.form(model: "missing", sample: "Normal"), status: .serviceUnavailable,
                    code: "model_not_installed")
                try await expectError(
                    client, Multipart.form(model: "broken", sample: "Normal"), status: .serviceUnavailable,
                    code: "model_unavailable")
                let models = try await client.execute(uri: "/api/v1/models", method: .get)
                let broken = (models.json["models"] as? [[String: Any]])?.first { $0["key"] as? String == "broken" }
                #expect(broken?["status"] as? String == "failed")
            }
        }
    }

    @Test("Sample names and paths cannot leave the sample folder")
    func pathSafety() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                for name in ["../models.json", "../../etc/passwd", "/etc/passwd", "Normal/../../models.json", "."] {
                    try await expectError(client, Multipart.form(sample: name), status: .notFound, code: "unknown_sample")
                }
                for uri in ["/samples/..%2Fmodels.json", "/samples/..", "/samples/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                            "/static/..%2F..%2FPackage.swift", "/static/../../Package.swift"] {
                    let response = try await client.execute(uri: uri, method: .get)
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(!response.text.contains("small_cnn"), "\(uri)")
                }
            }
        }
    }

    @Test("Another method on a known path is 405 with Allow")
    func methodNotAllowed() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.execute(uri: "/api/v1/predict", method: .get)
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(response.json["error"] as? String == "method_not_allowed")
                let sample = try await client.execute(uri: "/samples/Normal", method: .delete)
                #expect(sample.status == .methodNotAllowed)
                #expect(sample.headers[.allow] == "GET")
            }
        }
    }

    @Test("A body over the upload limit is 413, by Content-Length or while streaming")
    func tooLarge() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server(uploadLimit: 10_000)) { client in
                let big = Multipart.form(image: [UInt8](repeating: 7, count: 20_000))
                try await expectError(client, big, status: .contentTooLarge, code: "payload_too_large")
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .ok)
            }
        }
    }
}
