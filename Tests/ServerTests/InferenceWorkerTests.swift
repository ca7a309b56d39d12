import Dispatch
import Foundation
import HummingbirdTesting
import ImageIO
import Inference
import Server
import Testing

/// A real model that blocks each forward pass until released, recording batch sizes.
final class GatedClassifier: BatchClassifying, @unchecked Sendable {
    let model: Classifier
    var key: String { model.key }
    var displayName: String { model.displayName }
    var trained: Bool { model.trained }
    private let gate = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var sizes: [Int] = []
    /// Signalled when a forward pass starts.
    let started = DispatchSemaphore(value: 0)

    var batchSizes: [Int] { lock.withLock { sizes } }

    init(_ fixture: Fixture) throws {
        model = try Classifier(entry: fixture.registry.entry("small_cnn"), registry: fixture.registry)
    }

    func classify(_ images: [RGBImage]) throws -> [Prediction] {
        lock.withLock { sizes.append(images.count) }
        started.signal()
        gate.wait()
        return try model.classify(images)
    }

    /// Lets `count` forward passes finish.
    func release(_ count: Int = 1) {
        for _ in 0..<count { gate.signal() }
    }
}

/// Waits, off the cooperative pool, until `semaphore` is signalled.
func wait(for semaphore: DispatchSemaphore) async {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            semaphore.wait()
            continuation.resume()
        }
    }
}

/// Polls `condition` until it holds (or two seconds pass).
func eventually(_ condition: () -> Bool) async throws {
    for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
}

@Suite("Inference worker")
struct InferenceWorkerTests {
    @Test("Requests queued while the model works are classified together in one batch")
    func batching() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let worker = InferenceWorker(key: "small_cnn", capacity: 8, maxBatch: 4) { model }
            let image = Fixture.png()
            async let first = worker.submit(image)
            await wait(for: model.started)
            async let second = worker.submit(image)
            async let third = worker.submit(image)
            async let fourth = worker.submit(image)
            try await eventually { worker.queueDepth == 3 }
            model.release(2)
            let outcomes = try await [first, second, third, fourth]
            #expect(model.batchSizes == [1, 3])
            let single = try model.model.classify([ImageDecoder.decode(image)])[0]
            for outcome in outcomes {
                for (batched, alone) in zip(outcome.prediction.probabilities, single.probabilities) {
                    #expect(abs(batched - alone) < 1e-5)
                }
            }
            worker.stop()
        }
    }

    @Test("A pixel bomb is refused from its header at once, without waiting behind the model's work")
    func bombRefusedBeforeQueueing() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let worker = InferenceWorker(key: "small_cnn", capacity: 4, maxBatch: 1) { model }
            async let first = worker.submit(Fixture.png())
            await wait(for: model.started)  // the model is busy, and stays so until released
            let page = RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 90, count: 16 * 16 * 3))
            var jpeg = Array(try ImageEncoder.jpeg(page))
            let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
            jpeg.replaceSubrange((sof + 5)...(sof + 8), with: [0x1B, 0x58, 0x1B, 0x58])  // 7000 x 7000
            let bomb = jpeg
            // The refusal must come while the model is still busy; after 5 s the model is let go,
            // so that a bomb which did queue finishes (and the test fails instead of hanging).
            let refusedWhileBusy = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        _ = try await worker.submit(bomb)
                        return false
                    } catch let error as ImageDecodingError {
                        if case .tooManyPixels(7000, 7000, _) = error { return true }
                        return false
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    model.release(2)
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(refusedWhileBusy, "a 7000x7000 header waited for the model instead of being refused at once")
            model.release()
            _ = try await first
            worker.stop()
        }
    }

    @Test("A full queue refuses at once with busy (503, Retry-After) instead of waiting")
    func fullQueue() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let worker = InferenceWorker(key: "small_cnn", capacity: 1, maxBatch: 1) { model }
            let image = Fixture.png()
            async let first = worker.submit(image)
            await wait(for: model.started)
            async let second = worker.submit(image)
            try await eventually { worker.queueDepth == 1 }
            await #expect(throws: APIError.busy(model: "small_cnn")) { try await worker.submit(image) }
            model.release(2)
            _ = try await (first, second)
            worker.stop()
        }
    }

    @Test("Over HTTP a full queue is 503 with Retry-After, and /health still answers while the model works")
    func busyOverHTTP() async throws {
        try await withFixture { fixture in
                let model = try GatedClassifier(fixture)
                let server = try await fixture.server(capacity: 1, maxBatch: 1) { _, _ in model }
                try await withRouter(server) { client in
                    async let first = client.post("/api/v1/predict", form: Multipart.form(sample: "Normal"))
                    await wait(for: model.started)
                    async let second = client.post("/api/v1/predict", form: Multipart.form(sample: "Normal"))
                    try await eventually { (try? server.catalog.worker(nil).queueDepth) == 1 }
                    let health = try await client.execute(uri: "/health", method: .get)
                    #expect(health.status == .ok)
                    let refused = try await client.post("/api/v1/predict", form: Multipart.form(sample: "Normal"))
                    #expect(refused.status == .serviceUnavailable)
                    #expect(refused.json["error"] as? String == "busy")
                    #expect(refused.headers[.retryAfter] == "1")
                    model.release(2)
                    let answers = try await [first, second]
                    #expect(answers.map(\.status) == [.ok, .ok])
                }
        }
    }
}
