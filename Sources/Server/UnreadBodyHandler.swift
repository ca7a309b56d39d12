import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends a connection whose request was answered before its body arrived (413 from
/// `Content-Length`, 503 `busy` or `server_busy`, a 4xx from the form's first bytes), instead of
/// passing the rest of the body to the router to be drained.
///
/// Hummingbird keeps such a connection open and reads the unread body through to its end, part
/// by part, through the HTTP decoder, the async channel and the request threads, to reuse the
/// connection. Under `tools/load/attack.sh` that was most of the server's CPU: 16 clients
/// sending 20 MB uploads that were refused at once still had every byte parsed and carried to a
/// handler that threw it away (the event loops used 16.6 s of CPU in a 30 s run, more than
/// decoding and inference together). Here the answer says `Connection: close`, the rest of the
/// body is dropped as raw bytes before the HTTP decoder sees them, and the connection is closed
/// once the client has sent all it declared (so that it reads the answer rather than a reset),
/// after `lingerSeconds`, after `limit` more bytes, or when the bytes dropped across all
/// connections pass their rate (``RequestBudget/maxDiscardedBytesPerSecond``), whichever comes
/// first. Even dropped unparsed, a flood's bytes kept both event loops busy (13 s of CPU in 30 s,
/// release build, for 13.5 GB of refused 20 MB uploads), which delayed `/health` and starved the
/// compute threads: hence the rate, shared so that a lone refused client still reads its answer.
final class UnreadBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Drops a connection's raw bytes, ahead of the HTTP decoder, once its answer is made.
    final class RawDiscarder: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        /// Told the count of each read dropped; nil while bytes pass.
        var dropped: ((Int) -> Void)?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let dropped else { return context.fireChannelRead(data) }
            dropped(unwrapInboundIn(data).readableBytes)
        }
    }

    /// The most body bytes dropped before the connection is closed anyway.
    private let limit: Int
    /// The rate of dropped bytes shared by all connections.
    private let rate: ByteRate
    private let lingerSeconds: Int64
    private let discarder = RawDiscarder()
    /// Requests whose answer has not ended; the oldest is the one being answered.
    private var unanswered = 0
    /// Whether the newest request's body is still arriving.
    private var bodyOpen = false
    /// The newest request's declared body length, and the bytes of its body come so far.
    private var declared: Int?
    private var received = 0
    /// Whether the rest of the body is being dropped (its answer was made), and how much has been.
    private var dropping = false
    private var dropped = 0
    /// Whether all of the body came, and whether the answer has been sent.
    private var complete = false
    private var sent = false

    init(limit: Int, rate: ByteRate, lingerSeconds: Int64 = 10) {
        self.limit = limit
        self.rate = rate
        self.lingerSeconds = lingerSeconds
    }

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.pipeline.syncOperations.addHandler(discarder, position: .first)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if dropping { return }
            unanswered += 1
            bodyOpen = true
            declared = head.headerFields[.contentLength].flatMap(Int.init)
            received = 0
        case .body(let buffer):
            if dropping { return drop(buffer.readableBytes, channel: context.channel) }
            received += buffer.readableBytes
        case .end:
            bodyOpen = false
            if dropping {
                complete = true
                return drop(0, channel: context.channel)
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
            return context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end:
            unanswered = max(0, unanswered - 1)
            guard early else { break }
            dropping = true
            let channel = context.channel
            discarder.dropped = { [weak self] count in self?.drop(count, channel: channel) }
            context.eventLoop.scheduleTask(in: .seconds(lingerSeconds)) { channel.close(promise: nil) }
            // Closed only once the answer is out (it is flushed after this write).
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { [weak self] _ in  // on this event loop
                self?.sent = true
                self?.drop(0, channel: channel)
            }
            written.futureResult.cascade(to: promise)
            return context.write(data, promise: written)
        default:
            break
        }
        context.write(data, promise: promise)
    }

    /// Counts `count` more bytes of the unread body dropped. Closes at once when the shared rate
    /// has no room for them; otherwise, once the answer is out, when the client has sent all it
    /// declared or more than `limit`.
    private func drop(_ count: Int, channel: any Channel) {
        dropped += count
        if let declared, received + dropped >= declared { complete = true }
        let spent = count > 0 && !rate.take(count)
        if spent || (sent && (complete || dropped > limit)) { channel.close(promise: nil) }
    }
}

/// A token bucket of bytes: at most `bytesPerSecond` on average, and one second's worth at once.
/// Shared by the event loops, so it takes a lock (held for a few arithmetic operations).
final class ByteRate: @unchecked Sendable {
    private let lock = NSLock()
    private let bytesPerSecond: Double
    // Guarded by `lock`:
    private var available: Double
    private var updated = DispatchTime.now()

    init(bytesPerSecond: Int) {
        self.bytesPerSecond = Double(bytesPerSecond)
        available = Double(bytesPerSecond)
    }

    /// Takes `count` bytes if they are available now.
    func take(_ count: Int) -> Bool {
        lock.withLock {
            let now = DispatchTime.now()
            let seconds = Double(now.uptimeNanoseconds - updated.uptimeNanoseconds) / 1e9
            available = min(bytesPerSecond, available + seconds * bytesPerSecond)
            updated = now
            guard available >= Double(count) else { return false }
            available -= Double(count)
            return true
        }
    }
}
