import Foundation
import Hummingbird

/// Turns every error thrown below it into a JSON answer `{"error": code, "message": text}` with
/// the error's status (see ``APIError``), plus `Retry-After` for a full queue. A browser asking
/// for a page that does not exist gets the HTML "not found" page instead.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let pages: Pages
    /// The router's routes, for answering 405 (with `Allow`) to a known path with another method.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = APIError(error)
            if context.endpointPath == "NotFound", let allowed = routes.methods(forPath: request.uri.path), !allowed.isEmpty {
                apiError = APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed here; use \(allowed.joined(separator: " or "))")
                var response = apiError.response()
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            if apiError.status.code >= 500 && apiError.code == "internal_error" {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            if apiError.status == .notFound, request.method == .get, !request.uri.path.hasPrefix("/api/"),
               request.headers[.accept]?.contains("text/html") == true {
                return pages.render("not-found", [String: String](), status: .notFound)
            }
            return apiError.response()
        }
    }
}

extension APIError {
    /// The JSON response for this error.
    func response() -> Response {
        var response = jsonResponse(Body(error: code, message: message, score: gate?.score, reasons: gate?.reasons, novelty: gate?.novelty), status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// `value` as a JSON response with sorted keys.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

/// The paths and methods a router serves, filled in once the routes are added.
final class RouteTable: @unchecked Sendable {
    // Written once by `buildRouter` before the server starts, then only read.
    private var routes: [(segments: [Substring], method: String)] = []

    func record<Context>(_ router: Router<Context>) {
        routes = router.routes.map { ($0.path.description.split(separator: "/"), $0.method.rawValue) }
    }

    /// The methods served at `path` (whose `{parameter}` segments match anything), or nil.
    func methods(forPath path: String) -> [String]? {
        let segments = path.split(separator: "/")
        let methods = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
        return methods.isEmpty ? nil : methods.sorted()
    }
}
