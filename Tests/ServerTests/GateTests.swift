import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Server
import Testing

/// The input gate through the API and the HTML form: refusals (422 `not_an_ecg` with the score and
/// reasons), the `gate=0` override, and turned pages classified upright.
@Suite("Input gate")
struct GateTests {
    /// A 240 x 170 PNG of smoothly varying colours: decodable, but nothing like an ECG page.
    static let gradient: [UInt8] = {
        let (width, height) = (240, 170)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let offset = (y * width + x) * 3
                (pixels[offset], pixels[offset + 1], pixels[offset + 2]) = (UInt8(x), UInt8(y), UInt8((x + y) / 2))
            }
        }
        return Array(try! ImageEncoder.png(RGBImage(width: width, height: height, pixels: pixels)))
    }()

    /// The same, as a white page with no grid and no trace.
    static let blank = Array(try! ImageEncoder.png(RGBImage(width: 240, height: 170, pixels: [UInt8](repeating: 255, count: 240 * 170 * 3))))

    @Test("The API refuses a non-ECG image with 422 not_an_ecg, its score and its reasons", arguments: ["gradient", "blank"])
    func apiRefuses(name: String) async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let image = name == "blank" ? Self.blank : Self.gradient
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: image))
                #expect(response.status == .unprocessableContent)
                let json = response.json
                #expect(json["error"] as? String == "not_an_ecg")
                #expect((json["message"] as? String)?.contains("does not look like a 12-lead ECG page") == true)
                #expect((json["message"] as? String)?.contains("gate=0") == true)
                let score = try #require(json["score"] as? Double)
                #expect(score >= 0 && score < 1)
                let reasons = try #require(json["reasons"] as? [String])
                #expect(!reasons.isEmpty)
            }
        }
    }

    @Test("gate=0 classifies the refused image anyway and says the check would have refused it")
    func apiOverride() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.post(
                    "/api/v1/predict", form: Multipart.form(model: "small_cnn", image: Self.gradient, gate: "0"))
                #expect(response.status == .ok)
                let page = try #require(response.json["page"] as? [String: Any])
                #expect(page["checked"] as? Bool == false)
                #expect(page["accepted"] as? Bool == false)
                #expect((page["reasons"] as? [String])?.isEmpty == false)

                let bad = try await client.post("/api/v1/predict", form: Multipart.form(image: Self.gradient, gate: "maybe"))
                #expect(bad.status == .badRequest)
                #expect(bad.json["error"] as? String == "bad_request")
            }
        }
    }

    @Test("An ECG-like page passes; turned on its side it is classified upright, with the same answer")
    func turnedPage() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let upright = Fixture.ecgLikePage(width: 240, height: 170, phase: 5)
                let straight = try await client.post(
                    "/api/v1/predict", form: Multipart.form(model: "small_cnn", image: Array(try ImageEncoder.png(upright))))
                #expect(straight.status == .ok)
                let straightPage = try #require(straight.json["page"] as? [String: Any])
                #expect(straightPage["accepted"] as? Bool == true)
                #expect(straightPage["rotated_degrees"] as? Int == 0)

                let turned = Array(try ImageEncoder.png(upright.rotatedClockwise(quarterTurns: 1)))
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: turned))
                #expect(response.status == .ok)
                let page = try #require(response.json["page"] as? [String: Any])
                #expect(page["rotated_degrees"] as? Int == 270)
                #expect(page["accepted"] as? Bool == true)
                #expect(response.json["probabilities"] as? [String: Double] == straight.json["probabilities"] as? [String: Double])

                let html = try await client.post("/predict", form: Multipart.form(model: "small_cnn", image: turned)).text
                #expect(html.contains("The page was turned 270° clockwise before classifying."))
            }
        }
    }

    @Test("The HTML form shows the refusal and its reasons (422), in the full page and the fragment, and offers the override")
    func formRefuses() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let run = try await client.execute(uri: "/run", method: .get).text
                #expect(run.contains(#"<input type="checkbox" name="gate" value="0">"#))

                let response = try await client.post("/predict", form: Multipart.form(model: "small_cnn", image: Self.gradient))
                #expect(response.status == .unprocessableContent)
                let html = response.text
                #expect(html.contains("does not look like a 12-lead ECG page"))
                #expect(html.contains(#"<ul class="reasons"><li>"#))
                #expect(html.contains("Skip the page check"))
                #expect(!html.contains("gate=0"), "no API jargon on the page")

                let fragment = try await client.post("/predict?fragment=1", form: Multipart.form(model: "small_cnn", image: Self.gradient))
                #expect(fragment.status == .unprocessableContent)
                #expect(fragment.text.contains("does not look like a 12-lead ECG page"))

                let skipped = try await client.post(
                    "/predict", form: Multipart.form(model: "small_cnn", image: Self.gradient, gate: "0"))
                #expect(skipped.status == .ok)
                #expect(skipped.text.contains("The page check was skipped"))
            }
        }
    }
}
