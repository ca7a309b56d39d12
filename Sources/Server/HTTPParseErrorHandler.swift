import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers requests that NIO's HTTP parser refuses with the same JSON errors as the routes,
/// instead of Hummingbird's empty 400: 414 `uri_too_long` for a request line past the header
/// limit, 431 `headers_too_large` for headers past it, 400 `bad_content_length` or
/// `malformed_request` otherwise; then it closes the connection, as the parser cannot go on.
///
/// It only acts between requests (before a request's head has been passed on); a parse error
/// inside a body reaches the route, which reads the body, as an error there.
final class HTTPParseErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Whether the request line of the request being received has ended, told by a watcher of
    /// the raw bytes put before the HTTP decoder (the decoder reports a long URL and long
    /// headers as the same error).
    final class RequestLineState {
        var complete = false
    }

    /// Sees the raw bytes before the HTTP decoder and notes the end of the request line.
    final class RequestLineWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let state: RequestLineState

        init(state: RequestLineState) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if !state.complete, unwrapInboundIn(data).readableBytesView.contains(UInt8(ascii: "\n")) {
                state.complete = true
            }
            context.fireChannelRead(data)
        }
    }

    private let state = RequestLineState()
    /// Whether a request's head has been passed on and its response has not ended.
    private var inRequest = false

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.pipeline.syncOperations.addHandler(RequestLineWatcher(state: state), position: .first)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inRequest = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inRequest = false
            state.complete = false
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !inRequest else {
            context.fireErrorCaught(error)
            return
        }
        var apiError = APIError(parsing: parserError)
        if parserError == .headerOverflow, !state.complete {
            apiError = APIError(.uriTooLong, "uri_too_long", "the request line is longer than the server's header limit")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(APIError.Body(error: apiError.code, message: apiError.message))) ?? Data("{}".utf8)
        let head = HTTPResponse(status: apiError.status, headerFields: [
            .contentType: "application/json; charset=utf-8", .contentLength: String(body.count), .connection: "close",
        ])
        inRequest = true  // no further parts from this connection
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
