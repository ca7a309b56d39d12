import Foundation

extension BatchLoader {
    /// One epoch's batches, loaded by background threads at most `prefetch` batches ahead of
    /// the consumer and handed out in order.
    ///
    /// Dropping the epoch (or ``cancel()``) stops its threads; a file that cannot be loaded makes
    /// ``next()`` throw for its batch, after the batches before it, and stops the epoch.
    public final class Epoch: @unchecked Sendable {
        private let state: EpochState

        init(loader: BatchLoader, epoch: Int, batches: [[Int]]) {
            state = EpochState(batchCount: batches.count, prefetch: loader.prefetch)
            for _ in 0..<min(loader.workers, max(batches.count, 1)) {
                let state = state
                let thread = Thread {
                    while let index = state.claim() {
                        state.deliver(index, Result { () throws(DatasetError) in try loader.load(batches[index], epoch: epoch) })
                    }
                }
                thread.name = "ecglens.batch-loader"
                thread.start()
            }
        }

        deinit { state.cancel() }

        /// The next batch, waiting for it if need be; nil after the last.
        /// - Throws: ``DatasetError/unreadableImage(_:reason:)`` naming a file that cannot be loaded.
        public func next() throws(DatasetError) -> LoadedBatch? { try state.take() }

        /// Stops loading; ``next()`` returns nil afterwards.
        public func cancel() { state.cancel() }

        /// How many times ``next()`` had to wait for a batch still loading.
        public var waits: Int { state.waits }

        /// Waits until the loaders have filled the prefetch queue (or loaded every remaining batch);
        /// false if that takes longer than `timeout` seconds. For tests and diagnostics.
        public func waitUntilPrefetched(timeout: TimeInterval) -> Bool { state.waitUntilFull(timeout: timeout) }
    }
}

/// The queue between the loading threads and the consumer, guarded by one condition.
private final class EpochState: @unchecked Sendable {
    private let condition = NSCondition()
    private let batchCount: Int, prefetch: Int
    private var nextToClaim = 0, nextToTake = 0
    private var ready: [Int: Result<LoadedBatch, DatasetError>] = [:]
    private var stopped = false
    private(set) var waitCount = 0

    init(batchCount: Int, prefetch: Int) {
        self.batchCount = batchCount
        self.prefetch = prefetch
    }

    /// The next batch a loader should prepare, once it is within `prefetch` of the consumer; nil when done.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && nextToClaim < batchCount && nextToClaim >= nextToTake + prefetch { condition.wait() }
        guard !stopped, nextToClaim < batchCount else { return nil }
        nextToClaim += 1
        return nextToClaim - 1
    }

    func deliver(_ index: Int, _ result: Result<LoadedBatch, DatasetError>) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return }
        ready[index] = result
        if case .failure = result { nextToClaim = batchCount }  // load nothing more
        condition.broadcast()
    }

    func take() throws(DatasetError) -> LoadedBatch? {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, nextToTake < batchCount else { return nil }
        if ready[nextToTake] == nil { waitCount += 1 }
        while !stopped && ready[nextToTake] == nil { condition.wait() }
        guard let result = ready.removeValue(forKey: nextToTake) else { return nil }
        nextToTake += 1
        condition.broadcast()
        do {
            return try result.get()
        } catch {
            stopped = true
            throw error
        }
    }

    func cancel() {
        condition.lock()
        stopped = true
        ready.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var waits: Int { condition.withLock { waitCount } }

    func waitUntilFull(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while ready.count < min(prefetch, batchCount - nextToTake) && !stopped {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}
