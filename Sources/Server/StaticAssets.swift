import Foundation
import Hummingbird

/// The stylesheet, script and images under `Resources/static`, read once into memory.
struct StaticAssets: Sendable {
    private let files: [String: (bytes: ByteBuffer, contentType: String)]

    init() throws {
        guard let directory = Bundle.module.url(forResource: "static", withExtension: nil, subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "static", withExtension: nil) else {
            throw ServerSetupError("the Server module's static files are missing from its resource bundle")
        }
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "png": "image/png", "ico": "image/x-icon",
                     "svg": "image/svg+xml", "yaml": "application/yaml; charset=utf-8"]
        var files: [String: (ByteBuffer, String)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
            guard let type = types[(name as NSString).pathExtension],
                  let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { continue }
            files[name] = (ByteBuffer(bytes: data), type)
        }
        self.files = files
    }

    /// The file called `name` (a plain file name: no folders), or a 404.
    func response(_ name: String) throws(APIError) -> Response {
        guard let file = files[name] else { throw .notFound("no static file \"\(name)\"") }
        return Response(
            status: .ok,
            headers: [.contentType: file.contentType, .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: file.bytes))
    }
}
