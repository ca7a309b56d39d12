import Dispatch
import Foundation
import ImageIO
import Inference

/// Runs one model on a thread of its own, never on the server's event loops or Swift's
/// cooperative pool, so `/health` stays fast while a VGG16 runs.
///
/// Requests wait in a bounded queue; when it is full, ``submit(_:)`` fails at once with a 503
/// (`busy`) instead of piling up. Whatever is queued when the thread becomes free is decoded and
/// classified as one batch of up to `maxBatch` images, so concurrent requests share a forward
/// pass without anyone waiting for a batch to fill. The model is loaded on first use (or by
/// ``preload()``) and kept.
///
/// Small images go first: a large image (over ``PixelBudget/largeImagePixels``, more than an
/// ECG page needs) is classified alone, and while small ones wait it gets every other batch, so
/// a page waits behind at most one large decode and large images are never starved. How many
/// large images may wait or decode at once, across all models, is bounded by the shared
/// ``PixelBudget`` (503 `server_busy` past it, before queueing).
public final class InferenceWorker: @unchecked Sendable {
    /// One classified upload.
    public struct Outcome: Sendable {
        public let prediction: Prediction
        /// The model that answered (its name and whether it is trained).
        public let model: any BatchClassifying
        /// Milliseconds spent waiting in the queue, then decoding.
        public let queueMilliseconds: Double
        public let decodeMilliseconds: Double
        /// A small JPEG of the image, when the caller asked for one.
        public let preview: [UInt8]?
        /// The page check's verdict: whether the page was turned upright, and how it scored, with
        /// the model's novelty check when it has one.
        public let verdict: InputGate.Verdict
    }

    private struct Job {
        /// Tells the job apart in the queue (for ``expire(_:)``).
        let id: UInt64
        let data: [UInt8]
        /// Its pixels, from the header (at most the pixel limit).
        let pixels: Int
        /// The large image's place in the shared budget (nil for a small image), given back
        /// when the job is done.
        let admission: LargeImageAdmission?
        let keepPreview: Bool
        /// Whether the client has gone (its connection closed): its image is then not decoded.
        let isAbandoned: @Sendable () -> Bool
        /// Refuse images the page check does not accept (``NotAnECGPage``).
        let enforceGate: Bool
        let enqueued: DispatchTime
        let reply: Reply
    }

    /// A job's answer, given once: a large image may be refused by a timer while the worker
    /// still decodes it, and the worker's answer that comes later is then dropped.
    private final class Reply: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Outcome, any Error>?

        init(_ continuation: CheckedContinuation<Outcome, any Error>) {
            self.continuation = continuation
        }

        /// Whether the client has its answer already.
        var isSent: Bool { lock.withLock { continuation == nil } }

        func send(_ result: Result<Outcome, any Error>) {
            let continuation = lock.withLock { () -> CheckedContinuation<Outcome, any Error>? in
                defer { self.continuation = nil }
                return self.continuation
            }
            continuation?.resume(with: result)
        }

        func send(_ outcome: Outcome) { send(.success(outcome)) }
        func fail(_ error: any Error) { send(.failure(error)) }
    }

    public let key: String
    /// The most requests that may wait (not counting the batch being classified).
    public let capacity: Int
    /// The most images classified in one forward pass.
    public let maxBatch: Int
    private let limits: ImageDecoder.Limits
    private let pixelBudget: PixelBudget?
    /// The page check every image passes after decoding (see ``InputGate``).
    private let gate = InputGate()
    private let load: @Sendable () throws -> any BatchClassifying
    private let metrics: ServerMetrics?

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Job] = []
    private var stopped = false
    private var thread: Thread?
    private var model: (any BatchClassifying)?
    private var loadFailure: String?
    /// Whether the next batch goes to a waiting large image (set after a batch of small ones).
    private var largeTurn = false
    private var lastJobID: UInt64 = 0

    /// - Parameters:
    ///   - key: The model's key, for errors and metrics.
    ///   - capacity: How many requests may wait before new ones get 503.
    ///   - maxBatch: The largest batch one forward pass takes.
    ///   - limits: The decoder's limits (pixel and scan bombs are refused before decoding).
    ///   - pixelBudget: Pixels decoded at once, shared with the other models' workers; nil for no bound.
    ///   - load: Builds the model; called on the worker's thread at first use.
    public init(
        key: String, capacity: Int = 16, maxBatch: Int = 4, limits: ImageDecoder.Limits = .init(),
        pixelBudget: PixelBudget? = nil, metrics: ServerMetrics? = nil, load: @escaping @Sendable () throws -> any BatchClassifying
    ) {
        precondition(capacity > 0 && maxBatch > 0, "capacity and maxBatch must be positive")
        self.key = key
        self.capacity = capacity
        self.maxBatch = maxBatch
        self.limits = limits
        self.pixelBudget = pixelBudget
        self.metrics = metrics
        self.load = load
    }

    /// What the worker knows about its model: loaded, failed to load (with the reason), or not tried.
    public enum State: Sendable {
        case notLoaded
        case loaded(any BatchClassifying)
        case failed(String)
    }

    public var state: State {
        condition.withLock {
            if let model { return .loaded(model) }
            if let loadFailure { return .failed(loadFailure) }
            return .notLoaded
        }
    }

    /// How many requests are waiting.
    public var queueDepth: Int { condition.withLock { queue.count } }

    /// Whether a new request would be refused with 503 now.
    public var isFull: Bool { condition.withLock { stopped || queue.count >= capacity } }

    /// Loads the model now, on the caller's thread, unless it is loaded already.
    /// - Throws: whatever loading throws (a `RegistryError` or `CheckpointError`).
    public func preload() throws {
        _ = try loadedModel()
    }

    /// Decodes `data` (a JPEG or PNG file), turns it upright and classifies it.
    /// - Parameters:
    ///   - keepPreview: Also return a small JPEG of the image (made on the worker's thread).
    ///   - enforceGate: Refuse images that do not look like a 12-lead ECG page.
    ///   - isAbandoned: Whether the client has gone; checked before decoding, so that work nobody
    ///     waits for is dropped (it then fails with ``APIError/clientClosed``).
    /// - Throws: ``APIError/busy(model:)`` when the queue is full; ``APIError/serverBusy(_:)``
    ///   for a large image when the budget's large images are all taken; `ImageDecodingError` for bad
    ///   images (a pixel or scan bomb at once, from its header, before it queues); ``NotAnECGPage`` when `enforceGate` is set and the page check or the model's
    ///   novelty check refuses the image;
    ///   the loader's error when the model cannot be loaded.
    public func submit(
        _ data: [UInt8], keepPreview: Bool = false, enforceGate: Bool = true,
        isAbandoned: @escaping @Sendable () -> Bool = { false }
    ) async throws -> Outcome {
        try ImageDecoder.checkLimits(data, limits: limits)
        let size = try ImageDecoder.dimensions(data)
        let (area, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        let pixels = overflow ? limits.maxPixels : min(area, limits.maxPixels)
        let admission = try pixelBudget?.admit(pixels: pixels)
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !stopped, queue.count < capacity else {
                continuation.resume(throwing: APIError.busy(model: key))
                return
            }
            lastJobID += 1
            let reply = Reply(continuation)
            queue.append(Job(
                id: lastJobID, data: data, pixels: pixels, admission: admission, keepPreview: keepPreview, isAbandoned: isAbandoned, enforceGate: enforceGate,
                enqueued: .now(), reply: reply))
            metrics?.setQueueDepth(queue.count, model: key)
            if admission != nil, let pixelBudget {
                // A large image is refused once it has waited its bound, even while the worker is
                // busy with a long batch (the check in `classify` alone comes only when the worker
                // next takes a batch), and once it has taken its answer bound in all, even while
                // it is being decoded (that work then finishes unseen, holding its place in the
                // budget until it ends).
                let id = lastJobID
                if pixelBudget.maxLargeImageWaitSeconds.isFinite {
                    DeadlineTimer.shared.schedule(after: pixelBudget.maxLargeImageWaitSeconds) { [weak self] in self?.expire(id) }
                }
                if pixelBudget.maxLargeImageSeconds.isFinite {
                    let seconds = String(format: "%g", pixelBudget.maxLargeImageSeconds)
                    DeadlineTimer.shared.schedule(after: pixelBudget.maxLargeImageSeconds) { [weak self] in
                        self?.expire(id)
                        reply.fail(APIError.serverBusy(
                            "the server is busy: a large image was not classified within \(seconds) s; send a smaller one or retry"))
                    }
                }
            }
            if thread == nil {
                let thread = Thread { [self] in
                    ComputePriority.nameCurrentThread("infer-\(key)")
                    ComputePriority.lowerCurrentThread()
                    run()
                }
                thread.name = "inference-\(key)"
                thread.start()
                self.thread = thread
            }
            condition.signal()
        }
    }

    /// Finishes the queued requests, then ends the thread. Later submissions get 503.
    public func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    /// Refuses the job `id` with 503 `server_busy` if it still waits in the queue.
    private func expire(_ id: UInt64) {
        condition.lock()
        guard let index = queue.firstIndex(where: { $0.id == id }) else {
            condition.unlock()
            return
        }
        let job = queue.remove(at: index)
        metrics?.setQueueDepth(queue.count, model: key)
        condition.unlock()
        job.reply.fail(waitedTooLong())
    }

    /// The answer to a large image that waited past ``PixelBudget/maxLargeImageWaitSeconds``.
    private func waitedTooLong() -> APIError {
        let seconds = String(format: "%g", pixelBudget?.maxLargeImageWaitSeconds ?? 0)
        return .serverBusy("the server is busy: a large image waited over \(seconds) s to be decoded; send a smaller one or retry")
    }

    // MARK: - The worker thread

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                thread = nil
                condition.unlock()
                return
            }
            let batch = nextBatch()
            metrics?.setQueueDepth(queue.count, model: key)
            condition.unlock()
            switch Result(catching: { try loadedModel() }) {
            case .success(let model): classify(batch, with: model)
            case .failure(let error): batch.forEach { $0.reply.fail(error) }
            }
        }
    }

    /// Takes the next batch from the queue (the caller holds the lock): up to `maxBatch` small
    /// images, oldest first, or one large image when it is its turn or nothing else waits.
    private func nextBatch() -> [Job] {
        let largeThreshold = pixelBudget?.largeImagePixels ?? Int.max
        let large = queue.firstIndex { $0.pixels > largeThreshold }
        if let large, largeTurn || queue.allSatisfy({ $0.pixels > largeThreshold }) {
            largeTurn = false
            return [queue.remove(at: large)]
        }
        var batch: [Job] = []
        var kept: [Job] = []
        for job in queue {
            if batch.count < maxBatch, job.pixels <= largeThreshold { batch.append(job) } else { kept.append(job) }
        }
        queue = kept
        largeTurn = large != nil
        return batch
    }

    /// The model, loaded now if need be. Loading runs outside the lock, so submissions never
    /// wait for it; only the worker thread (or ``preload()`` before serving) loads.
    private func loadedModel() throws -> any BatchClassifying {
        if let model = condition.withLock({ model }) { return model }
        do {
            let loaded = try load()
            condition.withLock {
                model = loaded
                loadFailure = nil
            }
            metrics?.modelLoaded(key)
            return loaded
        } catch {
            condition.withLock { loadFailure = String(describing: error) }
            throw error
        }
    }

    private func classify(_ batch: [Job], with model: any BatchClassifying) {
        let now = DispatchTime.now()
        let batch = batch.filter { job in
            if job.reply.isSent { return false }  // refused by a timer
            if job.isAbandoned() {
                job.reply.fail(APIError.clientClosed)
                return false
            }
            if job.admission != nil, let pixelBudget, now.milliseconds(since: job.enqueued) > pixelBudget.maxLargeImageWaitSeconds * 1000 {
                job.reply.fail(waitedTooLong())  // its timer has not fired yet
                return false
            }
            return true
        }
        guard !batch.isEmpty else { return }
        // Reserve the batch's pixels (from the headers) in the budget shared by all models, at
        // once so that no worker holds part of it while waiting for more; released when the
        // batch is classified.
        let pixels = batch.reduce(0) { $0 + $1.pixels }
        pixelBudget?.acquire(pixels)
        defer { pixelBudget?.release(pixels) }
        // Decode and check the batch's images in parallel (decoding a page costs more than a small CNN).
        let started = DispatchTime.now()
        let results = concurrentMap(batch) { [limits, gate] job in
            ComputePriority.lowerCurrentThread()  // a Dispatch thread: decoding is compute work
            return Result<InputGate.Examined, any Error> {
                try gate.examined(model.decode(job.data, limits: limits), enforce: job.enforceGate)
            }
        }
        let decodeMilliseconds = DispatchTime.now().milliseconds(since: started) / Double(batch.count)
        var decoded: [(job: Job, image: RGBImage, verdict: InputGate.Verdict, queued: Double, decode: Double)] = []
        for (job, result) in zip(batch, results) {
            switch result {
            case .success(let examined):
                decoded.append((job, examined.image, examined.verdict, started.milliseconds(since: job.enqueued), decodeMilliseconds))
            case .failure(let error): job.reply.fail(error)
            }
        }
        decoded.removeAll { $0.job.reply.isSent }  // refused by a timer while being decoded
        guard !decoded.isEmpty else { return }
        metrics?.observeBatch(size: decoded.count, model: model.key)
        do {
            let answers = try model.classifyChecked(decoded.map(\.image))
            for (item, answer) in zip(decoded, answers) {
                let prediction = answer.prediction
                // The novelty check ran on the same forward pass; it refuses like the page check.
                let verdict = item.verdict.adding(novelty: answer.novelty)
                if item.job.enforceGate && !verdict.accepted {
                    item.job.reply.fail(NotAnECGPage(verdict: verdict))
                    continue
                }
                metrics?.observeInference(
                    seconds: (prediction.timings.preprocessMilliseconds + prediction.timings.inferenceMilliseconds) / 1000,
                    model: model.key)
                item.job.reply.send(Outcome(
                    prediction: prediction, model: model, queueMilliseconds: item.queued,
                    decodeMilliseconds: item.decode, preview: item.job.keepPreview ? previewJPEG(item.image) : nil,
                    verdict: verdict))
            }
        } catch {
            decoded.forEach { $0.job.reply.fail(error) }
        }
    }
}

/// `image` scaled down to at most 720 pixels wide, as a JPEG, for the result page.
func previewJPEG(_ image: RGBImage) -> [UInt8]? {
    let width = min(image.width, 720)
    let height = max(1, image.height * width / image.width)
    let scaled = width == image.width ? image : image.resized(width: width, height: height, filter: .bilinear)
    return (try? ImageEncoder.jpeg(scaled, quality: 80)).map { Array($0) }
}
