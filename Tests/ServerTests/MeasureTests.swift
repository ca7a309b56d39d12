import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Server
import Synth
import Testing

/// `measure=1` on the API and the web form: the trace of a generated page read and measured
/// beside the prediction, and a page that cannot be read answered with `refused` and a reason,
/// never an error status.
@Suite("Measuring the trace (measure=1)")
struct MeasureTests {
    /// A clean generated page at the reports' resolution (1106 x 786), which the digitiser reads.
    static func synthPage() throws -> SyntheticPage {
        try SyntheticPage.make(.normal, seed: 31, index: 2, options: PageOptions(width: 1106, height: 786))
    }

    @Test("POST /api/v1/predict?measure=1 with overlay=1 returns the rate, intervals, per-lead findings and the overlay PNG")
    func measuredPage() async throws {
        let page = try Self.synthPage()
        let beats = page.sidecar.beats.map(\.time)
        let trueRate = 60 * Double(beats.count - 1) / (beats.last! - beats.first!)
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                var form = Multipart()
                form.field("overlay", "1")
                form.file("image", Array(page.file))
                let response = try await client.post("/api/v1/predict?measure=1", form: form.finished)
                #expect(response.status == .ok)
                #expect(response.json["prediction"] is String)
                let m = try #require(response.json["measurements"] as? [String: Any])
                #expect(m["status"] as? String == "measured")
                #expect(m["refused"] as? Bool == false)
                let rate = try #require(m["heart_rate_bpm"] as? Double)
                #expect(abs(rate - trueRate) < 5, "measured \(rate)/min, generated \(trueRate)/min")
                let qrs = try #require(m["qrs_duration_s"] as? Double)
                #expect((0.05...0.14).contains(qrs))
                #expect(m["qtc_interval_s"] is Double)
                #expect(m["qrs_axis_degrees"] is Double)
                let leads = try #require(m["leads"] as? [[String: Any]])
                #expect(leads.count == 12)
                #expect(leads.allSatisfy { ["upright", "inverted", "flat"].contains($0["t_polarity"] as? String ?? "") })
                #expect(leads.allSatisfy { $0["st_deviation_mv"] is Double && $0["q_depth_mv"] is Double })
                let quality = try #require(m["quality"] as? [String: Double])
                #expect(quality["rhythm_match"]! > 0.5)
                let png = try #require((m["overlay_png"] as? String).flatMap { Data(base64Encoded: $0) })
                let overlay = try ImageDecoder.decode(png)
                #expect(overlay.width == 1106 && overlay.height == 786)

                // Without measure=1 the answer has no measurements; without overlay=1, no PNG.
                let plain = try await client.post("/api/v1/predict", form: Multipart.form(image: Array(page.file)))
                #expect(plain.json["measurements"] == nil)
                var noOverlay = Multipart()
                noOverlay.field("measure", "1")
                noOverlay.file("image", Array(page.file))
                let measuredOnly = try await client.post("/api/v1/predict", form: noOverlay.finished)
                let fields = try #require(measuredOnly.json["measurements"] as? [String: Any])
                #expect(fields["status"] as? String == "measured")
                #expect(fields["overlay_png"] == nil)
            }
        }
    }

    @Test("A page whose trace cannot be read is classified but its measurements say refused, with the reason")
    func refusedPage() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                // The fixture's ECG-like page passes the page check, but it is not the 3x4+1 report.
                let image = Array(try ImageEncoder.png(Fixture.ecgLikePage(width: 1100, height: 780)))
                let response = try await client.post("/api/v1/predict?measure=1", form: Multipart.form(image: image))
                #expect(response.status == .ok)
                #expect(response.json["prediction"] is String)
                let m = try #require(response.json["measurements"] as? [String: Any])
                #expect(m["status"] as? String == "refused")
                #expect(m["refused"] as? Bool == true)
                let reason = try #require(m["reason"] as? String)
                #expect(!reason.isEmpty)
                #expect(m["heart_rate_bpm"] == nil && m["leads"] == nil)

                let small = try await client.post("/api/v1/predict?measure=1", form: Multipart.form(image: Fixture.png(phase: 3)))
                #expect(small.status == .ok)
                let smallReason = (small.json["measurements"] as? [String: Any])?["reason"] as? String
                #expect(smallReason?.contains("at least 500x350") == true)
            }
        }
    }

    @Test("measure=maybe is a 400 naming the field")
    func badFlag() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict?measure=maybe", form: Multipart.form(sample: "Normal"))
                #expect(response.status == .badRequest)
                #expect((response.json["message"] as? String)?.contains("\"measure\"") == true)
            }
        }
    }

    @Test("The web form's \"measure the trace\" shows the measurements table and the overlay")
    func webResult() async throws {
        let page = try Self.synthPage()
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let run = try await client.execute(uri: "/run", method: .get)
                #expect(run.text.contains("name=\"measure\""))
                var form = Multipart()
                form.field("measure", "1")
                form.file("image", Array(page.file))
                let response = try await client.post("/predict?fragment=1", form: form.finished)
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.contains("Measured from the trace"))
                #expect(html.contains("Heart rate"))
                #expect(html.components(separatedBy: "<th scope=\"row\">").count == 13)  // twelve lead rows
                #expect(html.contains("src=\"data:image/png;base64,"))

                let refused = try await client.post("/predict?fragment=1", form: {
                    var form = Multipart()
                    form.field("measure", "1")
                    form.file("image", Fixture.png(phase: 3))
                    return form.finished
                }())
                #expect(refused.status == .ok)
                #expect(refused.text.contains("NOT MEASURED"))
            }
        }
    }
}
