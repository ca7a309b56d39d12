import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Testing

/// The paths, methods and response codes of `openapi.yaml`, read line by line (the document
/// keeps to two-space indentation: paths at 2, methods at 4, status codes at 8).
struct OpenAPIOperations {
    struct Operation: Hashable {
        let path: String
        let method: String
    }

    var responses: [Operation: Set<Int>] = [:]

    init(yaml: String) {
        var inPaths = false
        var path = ""
        var method = ""
        var inResponses = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            let indent = line.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            if indent == 0 { inPaths = text == "paths:"; continue }
            guard inPaths else { continue }
            switch indent {
            case 2: path = String(text.dropLast())
            case 4:
                method = String(text.dropLast())
                responses[Operation(path: path, method: method), default: []] = []
            case 6: inResponses = text == "responses:"
            case 8 where inResponses:
                if let code = Int(text.trimmingCharacters(in: CharacterSet(charactersIn: "\":"))) {
                    responses[Operation(path: path, method: method), default: []].insert(code)
                }
            default: break
            }
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    static let document: String = {
        let url = repositoryRoot.appendingPathComponent("Sources/Server/Resources/static/openapi.yaml")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    @Test("Every route of the server is in openapi.yaml, and every operation there is a route")
    func routesMatch() async throws {
        let spec = OpenAPIOperations(yaml: Self.document)
        #expect(spec.responses.count >= 12)
        try await withFixture { fixture in
            let server = try await fixture.server()
            let router = buildRouter(server)
            let routes = Set(router.routes.map {
                OpenAPIOperations.Operation(path: $0.path.description.hasPrefix("/") ? $0.path.description : "/\($0.path.description)",
                                            method: $0.method.rawValue.lowercased())
            })
            #expect(routes == Set(spec.responses.keys))
            server.catalog.stop()
        }
    }

    @Test("Every status the API answers in these cases is documented for its operation, with the documented fields")
    func responsesMatch() async throws {
        let spec = OpenAPIOperations(yaml: Self.document)
        try await withFixture { fixture in
            try await withRouter(fixture.server(uploadLimit: 50_000)) { client in
                let png = Fixture.png()
                let cases: [(String, HTTPRequest.Method, ByteBuffer?, HTTPFields)] = [
                    ("/api/v1/models", .get, nil, [:]), ("/api/v1/samples", .get, nil, [:]), ("/health", .get, nil, [:]),
                    ("/ready", .get, nil, [:]), ("/metrics", .get, nil, [:]), ("/openapi.yaml", .get, nil, [:]),
                    ("/", .get, nil, [:]), ("/run", .get, nil, [:]), ("/samples/Normal", .get, nil, [:]),
                    ("/samples/nope", .get, nil, [:]), ("/static/app.css", .get, nil, [:]), ("/static/nope.css", .get, nil, [:]),
                    ("/api/v1/predict", .post, Multipart.form(image: png), [:]),
                    ("/api/v1/predict", .post, Multipart.form(model: "nope", image: png), [:]),
                    ("/api/v1/predict", .post, Multipart.form(model: "missing", image: png), [:]),
                    ("/api/v1/predict", .post, Multipart.form(image: Array("x".utf8), imageType: "image/webp"), [:]),
                    ("/api/v1/predict", .post, Multipart.form(image: Array("not an image".utf8)), [:]),
                    ("/api/v1/predict", .post, Multipart.form(image: []), [:]),
                    ("/api/v1/predict", .post, Multipart.form(image: [UInt8](repeating: 1, count: 60_000)), [:]),
                    ("/predict", .post, Multipart.form(sample: "Normal"), [:]),
                    ("/predict", .post, Multipart.form(model: "nope", sample: "Normal"), [:]),
                ]
                for (uri, method, body, headers) in cases {
                    let response = body == nil
                        ? try await client.execute(uri: uri, method: method)
                        : try await client.post(uri, form: body!, headers: headers)
                    let operation = OpenAPIOperations.Operation(
                        path: uri.replacingOccurrences(of: "/samples/Normal", with: "/samples/{id}")
                            .replacingOccurrences(of: "/samples/nope", with: "/samples/{id}")
                            .replacingOccurrences(of: "/static/app.css", with: "/static/{file}")
                            .replacingOccurrences(of: "/static/nope.css", with: "/static/{file}"),
                        method: method.rawValue.lowercased())
                    let documented = spec.responses[operation] ?? []
                    #expect(documented.contains(response.status.code), "\(method) \(uri) answered \(response.status.code)")
                    if uri.hasPrefix("/api/"), response.status.code >= 400 {
                        #expect(Set(response.json.keys) == ["error", "message"], "\(uri)")
                        #expect(Self.document.contains(response.json["error"] as? String ?? "?"), "error code documented")
                    }
                    if uri == "/api/v1/predict", response.status == .ok {
                        for key in ["model", "model_name", "trained", "prediction", "probabilities", "timings_ms", "notice"] {
                            #expect(response.json[key] != nil, "\(key)")
                        }
                    }
                }
            }
        }
    }
}
