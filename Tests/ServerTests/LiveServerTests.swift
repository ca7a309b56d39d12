import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Server
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP connection to the loopback server, to see exactly what it sends and when.
final class RawConnection: @unchecked Sendable {
    private let socket: Int32

    init(port: Int, timeoutSeconds: Int = 5) throws {
        #if canImport(Glibc)
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard socket >= 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)  // reads give up after this much silence
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(socket) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// What arrives until `marker` has been read or the timeout passes with nothing new.
    /// The blocking reads run on a Dispatch thread, so the server's tasks keep the cooperative pool.
    func read(until marker: String) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.blockingRead(until: marker)) }
        }
    }

    /// One whole HTTP response: the head, then as many body bytes as its Content-Length says.
    func readResponse() async -> String {
        var answer = await read(until: "\r\n\r\n")
        guard let end = answer.range(of: "\r\n\r\n"),
              let line = answer[..<end.lowerBound].split(separator: "\r\n")
                  .first(where: { $0.lowercased().hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else {
            return answer
        }
        while answer.utf8.count - answer[..<end.upperBound].utf8.count < length {
            let more = await read(until: "")
            if more.isEmpty { break }
            answer += more
        }
        return answer
    }

    private func blockingRead(until marker: String) -> String {
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        repeat {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += String(decoding: buffer[..<count], as: UTF8.self)
        } while !(marker.isEmpty ? !received.isEmpty : received.contains(marker))
        return received
    }
}

/// Runs `body` with the full HTTP server (with its channel handlers) on a free loopback port.
func withLiveServer(_ server: ECGServer, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    let app = buildApplication(server, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
    // As `ecg serve` runs it: the HTTP side on the request threads.
    try await serveOnRequestThreads(eventLoops: app.eventLoopGroup) {
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }
    server.catalog.stop()
}

@Suite("Live server on loopback")
struct LiveServerTests {
    @Test("Expect: 100-continue gets 100 Continue at once, then the answer to the body")
    func expectContinue() async throws {
        try await withFixture { fixture in
            try await withLiveServer(fixture.server()) { port in
                let body = Multipart.form(sample: "Normal")
                let connection = try RawConnection(port: port)
                connection.send(Array("""
                    POST /api/v1/predict HTTP/1.1\r
                    Host: localhost\r
                    Content-Type: \(Multipart.contentType)\r
                    Content-Length: \(body.readableBytes)\r
                    Expect: 100-continue\r
                    \r

                    """.utf8))
                let clock = ContinuousClock()
                let asked = clock.now
                let interim = await connection.read(until: "\r\n\r\n")
                #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"))
                #expect(clock.now - asked < .milliseconds(500), "curl waits a second for it")
                connection.send(Array(body.readableBytesView))
                let answer = await connection.read(until: "}")
                #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer)")
                #expect(answer.contains("\"prediction\""))
            }
        }
    }

    @Test("Expect: 100-continue with a Content-Length over the limit gets 413 at once, without 100")
    func expectContinueTooLarge() async throws {
        try await withFixture { fixture in
            try await withLiveServer(fixture.server(uploadLimit: 1000)) { port in
                let connection = try RawConnection(port: port)
                connection.send(Array("""
                    POST /api/v1/predict HTTP/1.1\r
                    Host: localhost\r
                    Content-Type: \(Multipart.contentType)\r
                    Content-Length: 5000000\r
                    Expect: 100-continue\r
                    \r

                    """.utf8))
                let answer = await connection.read(until: "}")
                #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer)")
                #expect(answer.contains("payload_too_large"))
                let health = try RawConnection(port: port)
                health.send(Array("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
                #expect(await health.read(until: "}").hasPrefix("HTTP/1.1 200 OK"))
            }
        }
    }
}
