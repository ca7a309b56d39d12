import Dispatch
import Foundation
import ImageIO
import Inference
import Server
import Testing

/// Issue 17's large-image attack against normal traffic: 16 connections sending 15-megapixel
/// PNGs made a page wait 30 s. Large images are capped across models and classified one at a
/// time after the pages waiting with them.
@Suite("Hardening: pages are not starved by large images")
struct HardeningFairnessTests {
    @Test("Large images past the budget's count are refused with 503 server_busy; small ones always pass")
    func largeImagesAreCapped() throws {
        let budget = PixelBudget(capacity: 1_000, largeImagePixels: 100, maxLargeImages: 2)
        #expect(try budget.admit(pixels: 100) == nil)  // at the threshold: small
        var first = try budget.admit(pixels: 101)
        let second = try budget.admit(pixels: 1_000)
        #expect(first != nil && second != nil && budget.largeImagesAdmitted == 2)
        #expect(throws: APIError.self) { try budget.admit(pixels: 500) }
        do {
            _ = try budget.admit(pixels: 500)
        } catch {
            #expect(error.code == "server_busy" && error.status == .serviceUnavailable)
        }
        #expect(try budget.admit(pixels: 50) == nil)
        first = nil
        #expect(first == nil && budget.largeImagesAdmitted == 1)
        #expect(try budget.admit(pixels: 500) != nil)
        withExtendedLifetime(second) {}
        #expect(RequestBudget().largeImagePixels > 3_500_000, "an ECG page (about 3.5 MP) is not large")
    }

    @Test("Pages queued behind large images are classified first, large ones one at a time, and none is starved")
    func pagesGoFirst() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let small = Fixture.png()  // 240 x 170 = 40,800 pixels
            let large = Fixture.png(width: 400, height: 300)  // 120,000 pixels
            let budget = PixelBudget(capacity: 10_000_000, largeImagePixels: 50_000, maxLargeImages: 2)
            let worker = InferenceWorker(key: "small_cnn", capacity: 8, maxBatch: 4, pixelBudget: budget) { model }
            defer { worker.stop() }
            let order = Order()

            let busy = Task { try await worker.submit(small, enforceGate: false) }
            await wait(for: model.started)  // the model is busy with the first page
            let tasks = try await order.queue([("large 1", large), ("large 2", large), ("page 1", small), ("page 2", small)], on: worker)
            #expect(worker.queueDepth == 4)
            // A third large image finds both places taken: refused before it queues.
            await #expect(throws: APIError.self) { try await worker.submit(large, enforceGate: false) }
            #expect(worker.queueDepth == 4)

            // One forward pass at a time; a task's answer is awaited only once its pass was let go.
            model.release()
            _ = try await busy.value
            model.release()
            try await tasks[2].value
            try await tasks[3].value
            #expect(order.names.sorted() == ["page 1", "page 2"], "the pages before either large image")
            model.release()
            try await tasks[0].value
            #expect(order.names.last == "large 1" && !order.names.contains("large 2"))
            model.release()
            try await tasks[1].value
            #expect(model.batchSizes == [1, 2, 1, 1], "the pages as one batch, then each large image alone")
            // The last large image's place is given back as its answer is delivered, which may be a
            // moment after its task resumes: wait for it, bounded.
            for _ in 0..<200 where budget.largeImagesAdmitted != 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(budget.largeImagesAdmitted == 0)
        }
    }

    @Test("A large image waiting behind a stream of pages gets every other batch")
    func largeImagesAreNotStarved() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let small = Fixture.png()
            let large = Fixture.png(width: 400, height: 300)
            let budget = PixelBudget(capacity: 10_000_000, largeImagePixels: 50_000, maxLargeImages: 2)
            let worker = InferenceWorker(key: "small_cnn", capacity: 16, maxBatch: 1, pixelBudget: budget) { model }
            defer { worker.stop() }
            let order = Order()

            let busy = Task { try await worker.submit(small, enforceGate: false) }
            await wait(for: model.started)
            let tasks = try await order.queue([("page 1", small), ("large", large), ("page 2", small), ("page 3", small)], on: worker)
            model.release()
            _ = try await busy.value
            for index in 0..<3 {
                model.release()
                try await tasks[index].value
            }
            #expect(order.names == ["page 1", "large", "page 2"], "the large image after one page, not after all")
            model.release()
            try await tasks[3].value
        }
    }

    @Test("A large image is refused at its wait bound even while the worker is still busy with another batch")
    func largeImageExpiresWhileWorkerIsBusy() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let large = Fixture.png(width: 400, height: 300)
            let budget = PixelBudget(capacity: 10_000_000, largeImagePixels: 50_000, maxLargeImages: 2, maxLargeImageWaitSeconds: 0.05)
            let worker = InferenceWorker(key: "small_cnn", capacity: 8, maxBatch: 4, pixelBudget: budget) { model }
            defer { worker.stop() }

            let busy = Task { try await worker.submit(Fixture.png(), enforceGate: false) }
            await wait(for: model.started)  // the model is busy with a page and stays so
            let answer = Answer()
            let largeImage = Task {
                do {
                    _ = try await worker.submit(large, enforceGate: false)
                    answer.set("classified")
                } catch let error as APIError {
                    answer.set(error.code)
                }
            }
            try await eventually { answer.value != nil }
            #expect(answer.value == "server_busy")
            #expect(model.batchSizes == [1] && worker.queueDepth == 0, "refused from the queue, the first pass still running")
            model.release(2)  // two passes, so that a large image let through fails the test rather than hangs it
            _ = try await busy.value
            try await largeImage.value
            try await eventually { budget.largeImagesAdmitted == 0 }
            #expect(budget.largeImagesAdmitted == 0, "its place is given back")
        }
    }

    @Test("A large image still being worked on at its answer bound is answered 503 server_busy then; its place is held until the work ends")
    func largeImageAnswerIsBounded() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let large = Fixture.png(width: 400, height: 300)
            let budget = PixelBudget(
                capacity: 10_000_000, largeImagePixels: 50_000, maxLargeImages: 2, maxLargeImageWaitSeconds: 5, maxLargeImageSeconds: 0.1)
            let worker = InferenceWorker(key: "small_cnn", capacity: 8, maxBatch: 4, pixelBudget: budget) { model }
            defer { worker.stop() }

            let answer = Answer()
            let largeImage = Task {
                do {
                    _ = try await worker.submit(large, enforceGate: false)
                    answer.set("classified")
                } catch let error as APIError {
                    answer.set("\(error.code): \(error.message)")
                }
            }
            await wait(for: model.started)  // decoded, and its forward pass holds until released
            try await eventually { answer.value != nil }
            #expect(answer.value?.hasPrefix("server_busy: ") == true && answer.value?.contains("within 0.1 s") == true, "\(answer.value ?? "no answer")")
            #expect(budget.largeImagesAdmitted == 1, "the place is held while the forward pass still runs")
            try await largeImage.value
            model.release()  // the pass ends; its answer is dropped, the place given back
            try await eventually { budget.largeImagesAdmitted == 0 }
            #expect(budget.largeImagesAdmitted == 0)
            #expect(answer.value?.hasPrefix("server_busy") == true, "the late answer does not replace the refusal")

            // The worker goes on serving.
            let page = Task { try await worker.submit(Fixture.png(), enforceGate: false) }
            await wait(for: model.started)
            model.release()
            #expect(try await page.value.prediction.probabilities.count == 4)
        }
    }

    @Test("A large image that waited past its bound for decoding is refused 503 server_busy; the page that waited with it is classified")
    func largeImageWaitIsBounded() async throws {
        try await withFixture { fixture in
            let model = try GatedClassifier(fixture)
            let small = Fixture.png()
            let large = Fixture.png(width: 400, height: 300)
            let budget = PixelBudget(capacity: 10_000_000, largeImagePixels: 50_000, maxLargeImages: 2, maxLargeImageWaitSeconds: 0.05)
            let worker = InferenceWorker(key: "small_cnn", capacity: 8, maxBatch: 4, pixelBudget: budget) { model }
            defer { worker.stop() }

            let busy = Task { try await worker.submit(small, enforceGate: false) }
            await wait(for: model.started)  // the model is busy with the first page
            let largeImage = Task { try await worker.submit(large, enforceGate: false) }
            let page = Task { try await worker.submit(small, enforceGate: false) }
            try await eventually { worker.queueDepth == 2 }
            try await Task.sleep(for: .milliseconds(100))  // both now waited past the large image's bound
            model.release(3)  // three passes may run, so that a large image let through fails the test rather than hangs it
            _ = try await busy.value
            _ = try await page.value
            do {
                _ = try await largeImage.value
                Issue.record("the large image was classified after waiting past its bound")
            } catch let error as APIError {
                #expect(error.code == "server_busy" && error.status == .serviceUnavailable)
            }
            #expect(model.batchSizes == [1, 1], "the first page, then the page that waited; the large image never reached the model")
            try await eventually { budget.largeImagesAdmitted == 0 }
            #expect(budget.largeImagesAdmitted == 0, "its place is given back")
        }
    }
}

/// The order in which submissions finished.
private final class Order: @unchecked Sendable {
    private let lock = NSLock()
    private var finished: [String] = []

    func append(_ name: String) { lock.withLock { finished.append(name) } }
    var names: [String] { lock.withLock { finished } }

    /// Submits each named image to `worker` in turn, each once the one before is queued; each
    /// task notes its name here when its answer comes.
    func queue(_ images: [(String, [UInt8])], on worker: InferenceWorker) async throws -> [Task<Void, any Error>] {
        var tasks: [Task<Void, any Error>] = []
        for (name, image) in images {
            tasks.append(Task {
                _ = try await worker.submit(image, enforceGate: false)
                self.append(name)
            })
            try await eventually { worker.queueDepth == tasks.count }
        }
        return tasks
    }
}

/// One answer, set from another task.
private final class Answer: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? { lock.withLock { stored } }
    func set(_ value: String) { lock.withLock { stored = value } }
}
