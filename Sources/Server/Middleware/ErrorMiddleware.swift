import Foundation
import Hummingbird

/// Turns every error thrown below it into a JSON answer `{"error": code, "message": text}` with
/// the error's status (see ``APIError``), plus `Retry-After` for a full queue. A browser asking
/// for a page that does not exist gets the HTML "not found" page instead.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let pages: Pages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(error)
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
        var response = jsonResponse(Body(error: code, message: message), status: status)
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
