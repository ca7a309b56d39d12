import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageIO
import Server
import Testing

/// `explain=1`: a Grad-CAM explanation in the API's answer and on the result page.
@Suite("Explanations through the API and the form")
struct ExplainAPITests {
    static func form(model: String? = "small_cnn", explain: String?, image: [UInt8]? = nil, sample: String? = nil) -> ByteBuffer {
        var form = Multipart()
        if let model { form.field("model", model) }
        if let explain { form.field("explain", explain) }
        if let sample { form.field("sample", sample) }
        if let image { form.file("image", image) }
        return form.finished
    }

    @Test("POST /api/v1/predict?explain=1 adds the explanation of the predicted class, with a PNG overlay of the page")
    func apiRoundTrip() async throws {
        try await withFixture { fixture in
            let image = Fixture.png(phase: 5)
            let page = try ImageDecoder.decode(image)
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict?explain=1", form: Self.form(explain: nil, image: image))
                #expect(response.status == .ok, "\(response.text)")
                let json = response.json
                let explanation = try #require(json["explanation"] as? [String: Any])
                #expect(explanation["class"] as? String == json["prediction"] as? String)
                #expect(explanation["layer"] as? [Int] == [18, 18, 32])
                let overlay = try #require(Data(base64Encoded: explanation["overlay_png_base64"] as? String ?? ""))
                #expect(overlay.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                let drawn = try ImageDecoder.decode(Array(overlay))
                #expect(drawn.width == page.width && drawn.height == page.height)  // small pages keep their size
                for region in try #require(explanation["regions"] as? [[String: Double]]) {
                    #expect(Set(region.keys) == ["x", "y", "w", "h", "share"])
                    #expect(region["share"]! > 0 && region["share"]! <= 1)
                }
                if let inGrid = explanation["heat_in_grid"] as? Double { #expect((0...1).contains(inGrid)) }

                // As a form field, for a sample; and none unless asked.
                let sample = try await client.post("/api/v1/predict", form: Self.form(explain: "1", sample: "Normal"))
                #expect((sample.json["explanation"] as? [String: Any])?["class"] as? String == sample.json["prediction"] as? String)
                let plain = try await client.post("/api/v1/predict", form: Self.form(explain: "0", sample: "Normal"))
                #expect(plain.status == .ok && plain.json["explanation"] == nil)
            }
        }
    }

    @Test("A bad explain value is a 400 naming the field")
    func badValue() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict?explain=maybe", form: Self.form(explain: nil, sample: "Normal"))
                #expect(response.status == .badRequest)
                #expect(response.json["error"] as? String == "bad_request")
                #expect((response.json["message"] as? String)?.contains("\"explain\"") == true)
            }
        }
    }

    @Test("The result page shows the overlay with a switch back to the plain page when the form asks")
    func resultPage() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let page = try await client.post("/predict", form: Self.form(explain: "1", image: Fixture.png(phase: 5)))
                #expect(page.status == .ok)
                let html = page.text
                #expect(html.contains("class=\"heatmap-switch\" checked"))
                #expect(html.contains("class=\"result-image page-heatmap\" src=\"data:image/png;base64,"))
                #expect(html.contains("class=\"result-image page-plain\" src=\"data:image/jpeg;base64,"))
                #expect(html.contains("Grad-CAM for <strong>"))
                let plain = try await client.post("/predict", form: Self.form(explain: nil, image: Fixture.png(phase: 5)))
                #expect(!plain.text.contains("page-heatmap"))
                #expect(plain.text.contains("name=\"explain\" value=\"1\""))  // the form offers it
            }
        }
    }
}
