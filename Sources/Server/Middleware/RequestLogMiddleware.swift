import Foundation
import Dispatch
import Hummingbird
import Logging

/// Logs one line per request (method, path, route, status, duration, response size) and
/// records it in the metrics.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now()
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Only reached for errors the error middleware below did not turn into a response.
            record(request, context, status: APIError(error).status.code, bytes: nil, start: start)
            throw error
        }
        record(request, context, status: response.status.code, bytes: response.body.contentLength, start: start)
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, bytes: Int?, start: DispatchTime) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let route = context.endpointPath ?? "unmatched"
        metrics.observeRequest(method: request.method.rawValue, route: route, status: status, seconds: seconds)
        context.logger.log(
            level: status >= 500 ? .warning : .info, "\(request.method.rawValue) \(request.uri.path) \(status)",
            metadata: [
                "route": "\(route)", "ms": "\(String(format: "%.1f", seconds * 1000))",
                "bytes": "\(bytes.map(String.init) ?? "-")",
            ])
    }
}
