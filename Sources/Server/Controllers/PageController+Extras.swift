import Foundation
import Hummingbird
import Inference

/// The small routes around the pages: each model's card, the favicon, and the old app's URL.
extension PageController {
    func addExtraRoutes(to router: Router<Context>) {
        router.get("/models/{key}/card") { _, context in try card(context.parameters.require("key")) }
        router.get("/favicon.ico") { _, _ in try server.assets.response("favicon.ico") }
        // The old Flask app served its form at /run-model and took its post there: send people
        // and scripts that still use it to the new pages (307 keeps a post a post).
        router.get("/run-model") { _, _ in Response(status: .movedPermanently, headers: [.location: "/run"]) }
        router.post("/run-model") { _, _ in Response(status: .temporaryRedirect, headers: [.location: "/predict"]) }
    }

    /// Model `key`'s card, as the Markdown text it is written in.
    private func card(_ key: String) throws -> Response {
        let registry = server.catalog.registry
        guard let entry = registry.entries.first(where: { $0.key == key }) else {
            throw APIError.notFound("no model \"\(key)\"")
        }
        guard let url = registry.cardURL(entry), let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw APIError.notFound("model \(key) has no model card")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// What the page says for `error`: API wording is fine for scripts, but a person who pressed
    /// Classify without choosing anything gets plain words.
    static func pageMessage(_ error: APIError) -> String {
        error == PredictForm.noInput
            ? "Choose an ECG image (a JPEG or PNG file) or click one of the sample pages first, then press Classify."
            : error.message
    }
}
