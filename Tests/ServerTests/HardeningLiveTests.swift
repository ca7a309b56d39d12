import Dispatch
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Inference
import Server
import Testing

/// The attacks of issue 17 that need the real HTTP server: parse errors, aborted uploads, and
/// a full queue noticed before an upload's body is read.
@Suite("Hardening: hostile connections to the live server")
struct HardeningLiveTests {
    /// Sends `request` on a new connection and returns the whole answer.
    /// The start of a 5 MB multipart upload: its HTTP head, then a `model` field when given,
    /// then the head of an image part named `image` (JPEG or PNG by its extension) when given, or
    /// else the head of the `model` field itself, whose value the caller sends.
    static func uploadStart(model: String? = nil, image: String? = nil) -> [UInt8] {
        var text = "POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: \(Multipart.contentType)\r\nContent-Length: 5000000\r\n\r\n"
        text += "--\(Multipart.boundary)\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
        if let model { text += "\(model)\r\n" } else { return Array(text.utf8) }
        if let image {
            text += "--\(Multipart.boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\(image)\"\r\n"
            text += "Content-Type: image/\(image.hasSuffix(".png") ? "png" : "jpeg")\r\n\r\n"
        }
        return Array(text.utf8)
    }

    static func exchange(_ request: String, port: Int) async throws -> String {
        let connection = try RawConnection(port: port)
        connection.send(Array(request.utf8))
        return await connection.readResponse()
    }

    @Test("A 100 KB URL is 414, 100 KB of headers 431, a bad Content-Length 400, each with a JSON body")
    func httpParseErrorsAnswerJSON() async throws {
        try await withFixture { fixture in
            try await withLiveServer(fixture.server()) { port in
                let longURL = try await Self.exchange(
                    "GET /\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
                #expect(longURL.hasPrefix("HTTP/1.1 414"), "\(longURL.prefix(200))")
                #expect(longURL.contains("{\"error\":\"uri_too_long\""))

                let longHeader = try await Self.exchange(
                    "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 100_000))\r\n\r\n", port: port)
                #expect(longHeader.hasPrefix("HTTP/1.1 431"), "\(longHeader.prefix(200))")
                #expect(longHeader.contains("\"headers_too_large\""))

                let badLength = try await Self.exchange(
                    "POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n", port: port)
                #expect(badLength.hasPrefix("HTTP/1.1 400"), "\(badLength.prefix(200))")
                #expect(badLength.contains("application/json"))
                #expect(badLength.contains("\"error\":\""))

                // The server still answers.
                #expect(try await Self.exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", port: port).hasPrefix("HTTP/1.1 200"))
            }
        }
    }

    @Test("/health answers at once while decoding and inference fill every thread of the compute pool")
    func healthIsNotStarvedByCompute() async throws {
        try await withFixture { fixture in
            try await withLiveServer(fixture.server()) { port in
                // Busy work on every thread Dispatch's pool has (about one per core), and more
                // queued behind it, for 3 s: what 16 large uploads decoding at once look like.
                let spinners = 4 * ProcessInfo.processInfo.activeProcessorCount
                let finished = DispatchSemaphore(value: 0)
                let until = DispatchTime.now() + .seconds(3)
                for _ in 0..<spinners {
                    DispatchQueue.global().async {
                        var x = 0.0
                        while DispatchTime.now() < until { x += 1 }
                        if x < 0 { print(x) }
                        finished.signal()
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                let clock = ContinuousClock()
                let asked = clock.now
                let answer = try await Self.exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
                let waited = clock.now - asked
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
                // Measured: 10 ms on the request threads (25 ms on Swift's default executor).
                #expect(waited < .milliseconds(1000), "/health took \(waited) while the compute pool was full")
                for _ in 0..<spinners {
                    while finished.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(50)) }
                }
            }
        }
    }

    @Test("/health and /ready are answered on the event loop while both request threads are blocked")
    func probesNeedNoRequestThread() async throws {
        guard #available(macOS 15, *) else { return }
        try await withFixture { fixture in
            let server = try await fixture.server()
            try await withLiveServer(server) { port in
                let started = DispatchSemaphore(value: 0)
                let release = DispatchSemaphore(value: 0)
                // Both request threads (the routed handlers' only threads) held until the probes
                // are answered, 30 s at most: a routed probe could not be answered meanwhile.
                let blockers = (0..<2).map { _ in
                    Task(executorPreference: RequestExecutor.shared) {
                        started.signal()
                        _ = release.wait(timeout: .now() + 30)
                    }
                }
                let answers = await Task.detached { () -> [String] in
                    for _ in 0..<2 { _ = started.wait(timeout: .now() + 30) }
                    defer { for _ in 0..<2 { release.signal() } }
                    var answers: [String] = []
                    for path in ["/health", "/ready"] {
                        guard let connection = try? RawConnection(port: port, timeoutSeconds: 20) else { return answers }
                        connection.send(Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                        answers.append(await connection.readResponse())
                    }
                    return answers
                }.value
                for blocker in blockers { await blocker.value }
                try #require(answers.count == 2)
                #expect(answers[0].hasPrefix("HTTP/1.1 200"), "\(answers[0].prefix(200))")
                #expect(answers[0].hasSuffix(#"{"status":"ok"}"#))
                #expect(answers[0].lowercased().contains("x-content-type-options: nosniff"))
                #expect(answers[1].hasPrefix("HTTP/1.1 200"), "\(answers[1].prefix(200))")
                #expect(answers[1].contains(#""ready":true"#))
                #expect(server.metrics.render().contains(#"ecg_http_requests_total{method="GET",route="/health",status="200"} 1"#))
            }
        }
    }

    @Test("A probe pipelined behind a routed request is answered after it, in order")
    func pipelinedProbeKeepsOrder() async throws {
        try await withFixture { fixture in
            try await withLiveServer(fixture.server()) { port in
                let connection = try RawConnection(port: port)
                connection.send(Array("""
                    GET /api/v1/models HTTP/1.1\r
                    Host: x\r
                    \r
                    GET /health HTTP/1.1\r
                    Host: x\r
                    Connection: close\r
                    \r

                    """.utf8))
                let answers = await connection.read(until: #"{"status":"ok"}"#)
                let models = try #require(answers.range(of: #""models":"#))
                let health = try #require(answers.range(of: #"{"status":"ok"}"#))
                #expect(models.lowerBound < health.lowerBound)
                #expect(answers.components(separatedBy: "HTTP/1.1 200").count == 3)
                // The first request was read to its end: its connection stays open for the next.
                #expect(!answers[..<models.lowerBound].lowercased().contains("connection: close"))
            }
        }
    }

    @Test("An upload refused before its body is read says Connection: close, and the connection ends once the body is sent")
    func refusedUploadIsClosedNotDrained() async throws {
        try await withFixture { fixture in
            try await withLiveServer(fixture.server(uploadLimit: 100_000)) { port in
                let connection = try RawConnection(port: port, timeoutSeconds: 20)
                connection.send(Array("""
                    POST /api/v1/predict HTTP/1.1\r
                    Host: x\r
                    Content-Type: \(Multipart.contentType)\r
                    Content-Length: 300000\r
                    \r

                    """.utf8))
                let answer = await connection.readResponse()
                #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
                #expect(answer.lowercased().contains("connection: close"))
                // The client sends the body anyway (as Python's http.client does) and then reads:
                // the server drops the bytes and closes once all 300,000 have come, well before the
                // 10 s it waits at most.
                let clock = ContinuousClock()
                let sent = clock.now
                connection.send([UInt8](repeating: 0x61, count: 300_000))
                let rest = await connection.read(until: "")
                #expect(rest.isEmpty)
                #expect(clock.now - sent < .seconds(8), "the connection was not closed after the body")
            }
        }
    }

    @Test("Compute threads run below the request threads, the event loops at or above them (Linux)")
    func computeRunsAtLowerPriority() async throws {
        #if os(Linux)
        let computeNice = await withCheckedContinuation { continuation in
            let thread = Thread {
                ComputePriority.lowerCurrentThread()
                continuation.resume(returning: ComputePriority.currentThreadNice())
            }
            thread.start()
        }
        #expect(computeNice == ComputePriority.computeNice)
        try await withFixture { fixture in
            try await withLiveServer(fixture.server()) { _ in
                // The test's body runs where the server's handlers do: on the request threads.
                let requestNice = try #require(ComputePriority.currentThreadNice())
                #expect(requestNice < ComputePriority.computeNice)
                // The event loops, which answer the probes themselves, above the request threads
                // where the process may raise threads (as root), level with them elsewhere.
                let eventLoops = Self.threadNices().filter { $0.name.hasPrefix("NIO-SGLTN") }
                #expect(!eventLoops.isEmpty)
                for thread in eventLoops {
                    #expect(requestNice < 0 ? thread.nice < requestNice : thread.nice <= requestNice, "\(thread.name)")
                }
            }
        }
        #endif
    }

    /// Every thread of this process: its name and nice value, from `/proc/self/task/*/stat`.
    static func threadNices() -> [(name: String, nice: Int32)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            // After the name: state is field 3 of stat(5), nice field 19.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 16, let nice = Int32(fields[16]) else { return nil }
            return (String(stat[stat.index(after: open)..<close]), nice)
        }
    }

    @Test("An upload cut short by the client is counted as 499 client_closed, never as a 500")
    func clientAbortIsNotAServerError() async throws {
        try await withFixture { fixture in
            let server = try await fixture.server()
            try await withLiveServer(server) { port in
                do {
                    let connection = try RawConnection(port: port)
                    connection.send(Array("""
                        POST /api/v1/predict HTTP/1.1\r
                        Host: x\r
                        Content-Type: \(Multipart.contentType)\r
                        Content-Length: 100000\r
                        \r
                        --\(Multipart.boundary)\r

                        """.utf8))
                    try await Task.sleep(for: .milliseconds(100))
                }  // closed here, 99,950 bytes short
                var metrics = ""
                for _ in 0..<100 {
                    metrics = server.metrics.render()
                    if metrics.contains("status=\"499\"") { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(metrics.contains("ecg_http_requests_total{method=\"POST\",route=\"/api/v1/predict\",status=\"499\"} 1"))
                #expect(!metrics.contains("status=\"500\""))
            }
        }
    }

    @Test("With the model's queue full, a form whose model field comes first gets 503 busy before the image is sent")
    func busyBeforeTheBody() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            var budget = RequestBudget()
            budget.maxBodyBytes = 10_000_000
            let server = try await fixture.server(capacity: 1, maxBatch: 1, budget: budget) { _, _ in model }
            try await withLiveServer(server) { port in
                let worker = try server.catalog.worker("small_cnn")
                let first = Task { try await worker.submit(Fixture.png()) }  // being classified
                await wait(for: model.started)
                let second = Task { try await worker.submit(Fixture.png()) }  // fills the queue of 1
                try await eventually { worker.isFull }
                #expect(worker.isFull)

                let connection = try RawConnection(port: port)
                connection.send(Self.uploadStart(model: "small_cnn", image: "page.png"))
                let answer = await connection.readResponse()
                #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer.prefix(300))")
                #expect(answer.contains("\"busy\""))
                model.release(2)
                _ = try await first.value
                _ = try await second.value
            }
        }
    }

    @Test("A 5 MB upload of junk behind a JPEG signature gets 422 from its first 64 KB, before the rest is sent")
    func junkImageBeforeTheBody() async throws {
        try await withFixture { fixture in
            var budget = RequestBudget()
            budget.maxBodyBytes = 10_000_000
            let server = try await fixture.server(budget: budget)
            try await withLiveServer(server) { port in
                // Noise from a fixed seed behind FF D8 FF, as issue 17's 20 MB uploads.
                var state: UInt64 = 0x2545_F491_4F6C_DD1D
                let junk = [0xFF, 0xD8, 0xFF] + (0..<70_000).map { _ -> UInt8 in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return UInt8(truncatingIfNeeded: state >> 56)
                }
                let connection = try RawConnection(port: port)
                connection.send(Self.uploadStart(model: "small_cnn", image: "page.jpg") + junk)
                let answer = await connection.readResponse()
                #expect(answer.hasPrefix("HTTP/1.1 422"), "\(answer.prefix(300))")
                #expect(answer.contains("\"corrupt_image\"") && answer.contains("Connection: close"), "\(answer.prefix(600))")
            }
        }
    }

    @Test("A model name of megabytes gets 404 from its first 64 KB, quoted by its start only")
    func longModelNameBeforeTheBody() async throws {
        try await withFixture { fixture in
            var budget = RequestBudget()
            budget.maxBodyBytes = 10_000_000
            let server = try await fixture.server(budget: budget)
            try await withLiveServer(server) { port in
                let connection = try RawConnection(port: port)
                connection.send(Self.uploadStart() + Array(repeating: UInt8(ascii: "m"), count: 70_000))
                let answer = await connection.readResponse()
                #expect(answer.hasPrefix("HTTP/1.1 404"), "\(answer.prefix(300))")
                #expect(answer.contains("\"unknown_model\"") && answer.count < 2_000, "\(answer.prefix(600))")
            }
        }
    }
}
