import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends a connection whose request was answered before its body arrived (413 from
/// `Content-Length`, 503 `busy` or `server_busy`, a 4xx from the form's first bytes), instead of
/// passing the rest of the body to the router to be drained.
///
/// Hummingbird keeps such a connection open and reads the unread body through to its end, part
/// by part, through the async channel and the request threads, to reuse the connection. Under
/// `tools/load/attack.sh` that was most of the server's CPU: 16 clients sending 20 MB uploads
/// that were refused at once still had every byte carried to a handler that threw it away (the
/// event loops used 16.6 s of CPU in a 30 s run, more than decoding and inference together).
/// Here the answer says `Connection: close`, the rest of the body is dropped as it is parsed,
/// and the connection is closed once the client has sent its body (so that the client reads the
/// answer rather than a reset), after `lingerSeconds`, or after `limit` more bytes, whichever
/// comes first.
final class UnreadBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The most body bytes dropped before the connection is closed anyway.
    private let limit: Int
    private let lingerSeconds: Int64
    /// Requests whose answer has not ended; the oldest is the one being answered.
    private var unanswered = 0
    /// Whether the newest request's body is still arriving.
    private var bodyOpen = false
    /// Whether the rest of the body is being dropped (its answer was made).
    private var dropping = false
    private var dropped = 0

    init(limit: Int, lingerSeconds: Int64 = 2) {
        self.limit = limit
        self.lingerSeconds = lingerSeconds
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if dropping { return }
            unanswered += 1
            bodyOpen = true
        case .body(let buffer):
            if dropping {
                dropped += buffer.readableBytes
                if dropped > limit { context.close(promise: nil) }
                return
            }
        case .end:
            bodyOpen = false
            if dropping {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The answer being written is the oldest unanswered request's: its body is unread when
        // it is also the newest and its end has not come.
        let early = unanswered == 1 && bodyOpen
        switch unwrapOutboundIn(data) {
        case .head(var response) where early && response.status.kind != .informational:
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
            return
        case .end:
            unanswered = max(0, unanswered - 1)
            if early {
                dropping = true
                let channel = context.channel
                let linger = TimeAmount.seconds(lingerSeconds)
                context.write(data, promise: promise)
                context.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
                return
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
