import HTTPTypes
import Hummingbird

/// Adds ``SecurityHeaders`` to every response the router makes.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in SecurityHeaders.fields { response.headers[field.name] = field.value }
        return response
    }
}

/// The security headers of every answer (the router's, and the probes ``ProbeHandler`` answers
/// itself): a Content-Security-Policy that allows only the server's own scripts and styles (no
/// inline script), `nosniff`, frame denial and no referrer.
enum SecurityHeaders {
    /// `data:` and `blob:` images are the upload previews (made by the server, or by the page's
    /// script from the chosen file).
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let fields: HTTPFields = [
        .contentSecurityPolicy: contentSecurityPolicy,
        .xContentTypeOptions: "nosniff",
        .xFrameOptions: "DENY",
        .referrerPolicy: "no-referrer",
        .crossOriginOpenerPolicy: "same-origin",
    ]
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
}
