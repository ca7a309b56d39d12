import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `GET /health` and `GET /ready` on the event loop that read the request, ahead of
/// Hummingbird's router: no hop to the request threads, no middleware, no allocation beyond the
/// answer.
///
/// Under `tools/load/attack.sh` a routed probe crossed three queues: the event loop, then
/// ``RequestExecutor``'s two threads (which also copy the bodies of 20 MB uploads and run every
/// other handler), then the event loop again for the write. The event loops only parse bytes,
/// so a probe answered here waits for at most one read of another connection. The routes of
/// ``OperationsController`` stay for in-process router tests; both make their answers with
/// ``ProbeAnswer``.
///
/// A probe that arrives while an earlier request on the same connection is still open (HTTP
/// pipelining) is passed on to the router instead, so that answers keep their requests' order.
final class ProbeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let server: ECGServer
    /// Requests passed on to the router whose answers have not ended.
    private var open = 0
    /// Whether the remaining parts of a request answered here are being dropped.
    private var dropping = false

    init(server: ECGServer) {
        self.server = server
    }

    /// One read per connection each time its event loop goes round (NIO's default is 4 reads of
    /// 64 KB): a connection flooding bytes then holds the loop for one read before a probe's
    /// connection is served. In 30 s attack runs (tools/load/attack.sh) `/health`'s p99 was
    /// 28-34 ms with it against 30-39 ms without.
    func handlerAdded(context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if open == 0, head.method == .get || head.method == .head,
               let answer = ProbeAnswer(path: head.path ?? "", server: server) {
                let started = DispatchTime.now()
                dropping = true
                respond(context: context, answer, head: head)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                server.metrics.observeRequest(
                    method: head.method.rawValue, route: answer.route, status: answer.status.code, seconds: seconds)
                return
            }
            open += 1
            context.fireChannelRead(data)
        case .body:
            if !dropping { context.fireChannelRead(data) }
        case .end:
            if dropping { dropping = false } else { context.fireChannelRead(data) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), open > 0 { open -= 1 }
        context.write(data, promise: promise)
    }

    private func respond(context: ChannelHandlerContext, _ answer: ProbeAnswer, head request: HTTPRequest) {
        var fields = answer.headerFields
        fields[.contentLength] = String(answer.body.count)
        let close = request.headerFields[.connection]?.lowercased() == "close"
        if close { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        if request.method != .head {
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: answer.body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// The answer to a liveness or readiness probe, made in one place for the router's routes and
/// for ``ProbeHandler``.
struct ProbeAnswer {
    /// The route's pattern, for metrics.
    let route: String
    let status: HTTPResponse.Status
    let body: Data
    /// JSON, with the security headers every answer carries.
    var headerFields: HTTPFields {
        var fields = SecurityHeaders.fields
        fields[.contentType] = "application/json; charset=utf-8"
        return fields
    }

    /// The answer for `path` (a query is ignored), or nil when it is not a probe.
    init?(path: String, server: ECGServer) {
        switch path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" {
        case "/health": self = .health
        case "/ready": self = .readiness(server)
        default: return nil
        }
    }

    private init(route: String, status: HTTPResponse.Status, body: Data) {
        self.route = route
        self.status = status
        self.body = body
    }

    /// Liveness: made without touching the models, so it stays fast while they work.
    static let health = ProbeAnswer(route: "/health", status: .ok, body: Data(#"{"status":"ok"}"#.utf8))

    /// Readiness: 200 when the default model's weights are there, usable and trained (or
    /// untrained ones are allowed), else 503; lists every model.
    static func readiness(_ server: ECGServer) -> ProbeAnswer {
        let models = server.catalog.descriptions()
        let defaultKey = server.catalog.registry.defaultKey
        let ready = models.contains { $0.key == defaultKey && server.canServe($0) }
        let body = Readiness(
            ready: ready, defaultModel: defaultKey,
            models: models.map { .init(key: $0.key, status: $0.status, reason: $0.reason) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ProbeAnswer(
            route: "/ready", status: ready ? .ok : .serviceUnavailable, body: (try? encoder.encode(body)) ?? Data("{}".utf8))
    }

    struct Readiness: Encodable {
        struct Model: Codable {
            let key: String
            let status: ModelDescription.State
            let reason: String?
        }

        let ready: Bool
        let defaultModel: String
        let models: [Model]
        enum CodingKeys: String, CodingKey { case ready, models, defaultModel = "default" }
    }
}
