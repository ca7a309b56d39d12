import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("Pages")
struct PageTests {
    @Test("The home page explains the four conditions and says it is not a medical device")
    func home() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.execute(uri: "/", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = response.text
                for text in ["History of myocardial infarction", "Abnormal heartbeat", "not a medical device",
                             "/static/app.js", "/samples/Abnormal_Heartbeat", "NOT TRAINED"] {
                    #expect(html.contains(text), "\(text)")
                }
                #expect(!html.contains("<script>"), "no inline script")
                #expect(!html.contains("style=\""), "no inline style")
            }
        }
    }

    @Test("The run page has a card per model with its status, the sample gallery and the upload form")
    func run() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let html = try await client.execute(uri: "/run", method: .get).text
                #expect(html.contains(#"<form id="predict-form" class="predict-form" method="post" action="/predict#result" enctype="multipart/form-data">"#))
                #expect(html.contains(#"value="small_cnn" checked"#))
                #expect(html.contains(#"value="missing" disabled"#))
                #expect(html.contains("not installed: no weights file yet"))
                #expect(html.contains("failed to load"))
                #expect(html.contains(#"<input type="file" id="image-input" name="image""#))
                #expect(html.contains(#"<label for="image-input">"#))
                for name in ecgClasses { #expect(html.contains(#"name="sample" value="\#(name)""#)) }
            }
        }
    }

    @Test("The form post without JavaScript answers the run page with the result, bars and timing")
    func formPost() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/predict", form: Multipart.form(model: "small_cnn", image: Fixture.png()))
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.contains("<h2 id=\"result-heading\" tabindex=\"-1\""))
                #expect(html.contains("src=\"data:image/jpeg;base64,"))
                #expect(html.components(separatedBy: "<meter ").count == 5)
                #expect(html.contains("Inference took <strong>"))
                #expect(html.contains("NOT TRAINED"))
                #expect(html.contains("<form id=\"predict-form\""))

                let fragment = try await client.post("/predict?fragment=1", form: Multipart.form(sample: "Normal"))
                #expect(fragment.status == .ok)
                #expect(fragment.text.hasPrefix("<article class=\"result\">"))
                #expect(fragment.text.contains("src=\"/samples/Normal\""))
            }
        }
    }

    @Test("A failed form post shows the reason on the page with the error's status")
    func formError() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let page = try await client.post("/predict", form: Multipart.form(image: Array("nope".utf8), imageType: "application/octet-stream"))
                #expect(page.status == .unprocessableContent)
                #expect(page.text.contains("role=\"alert\""))
                #expect(page.text.contains("the data is not a JPEG or PNG image"))
                let fragment = try await client.post("/predict?fragment=1", form: Multipart.form(model: "missing", sample: "Normal"))
                #expect(fragment.status == .serviceUnavailable)
                #expect(fragment.text.contains("model missing is not installed"))
            }
        }
    }

    @Test("A user-supplied file name or field never reaches the page unescaped")
    func escaping() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let page = try await client.post("/predict", form: Multipart.form(model: "<script>alert(1)</script>", sample: "Normal"))
                #expect(page.status == .notFound)
                #expect(!page.text.contains("<script>alert(1)"))
                #expect(page.text.contains("&lt;script&gt;"))
            }
        }
    }

    @Test("A browser asking for a missing page gets the HTML not-found page; an API client gets JSON")
    func notFound() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let page = try await client.execute(uri: "/nowhere", method: .get, headers: [.accept: "text/html,*/*"])
                #expect(page.status == .notFound)
                #expect(page.text.contains("<h1>Page not found</h1>"))
                let api = try await client.execute(uri: "/api/v1/nowhere", method: .get, headers: [.accept: "text/html,*/*"])
                #expect(api.status == .notFound)
                #expect(api.json["error"] as? String == "not_found")
            }
        }
    }

    @Test("Static files and the OpenAPI document are served with their types")
    func staticFiles() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let script = try await client.execute(uri: "/static/app.js", method: .get)
                #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
                let style = try await client.execute(uri: "/static/app.css", method: .get)
                #expect(style.headers[.contentType] == "text/css; charset=utf-8")
                let spec = try await client.execute(uri: "/openapi.yaml", method: .get)
                #expect(spec.text.hasPrefix("openapi: 3.1.0"))
            }
        }
    }
}
