import Dispatch
import Foundation
@testable import Kernels
import Synchronization
import Testing

/// `parallelChunks` on `KernelThreadPool`'s spinning workers, with Dispatch's `concurrentPerform`
/// when the pool is busy: every index exactly once, however the calls come.
@Suite("Kernel thread pool: every index once, busy pool falls back, nested and concurrent calls")
struct ThreadPoolTests {
    /// Calls `parallelChunks(count, minimumChunk:)` and returns how many times each index ran.
    static func visits(count: Int, minimumChunk: Int = 1) -> [Int] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: max(count, 1))
        let shared = UnsafeSendablePointer(counts)
        parallelChunks(count, minimumChunk: minimumChunk) { range in
            for index in range { shared.pointer[index] += 1 }
        }
        return Array(UnsafeBufferPointer(start: counts, count: count))
    }

    @Test("Every index runs exactly once, over many calls in a row (the workers' step numbers advance)",
          arguments: [1, 2, 3, 7, 64, 1000])
    func everyIndexOnce(count: Int) {
        for round in 0..<300 {
            let counts = Self.visits(count: count, minimumChunk: round % 3 + 1)
            #expect(counts.allSatisfy { $0 == 1 }, "count \(count), round \(round): \(counts.prefix(16))")
        }
    }

    /// What the chunks of `workersAndBusy` record.
    final class Probe: @unchecked Sendable {
        let pool: KernelThreadPool
        let caller = pthread_self()
        let onOtherThread = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        init(pool: KernelThreadPool) { self.pool = pool }
    }

    /// With more than one thread, the pool runs a step's chunks on its workers as well as on the
    /// caller, and refuses a second step while one runs (the caller then falls back).
    @Test("The pool runs chunks on its workers and refuses a step while one runs",
          .enabled(if: kernelThreadCount > 1, "one thread (ECG_THREADS=1 or one CPU): no pool"))
    func workersAndBusy() throws {
        let pool = try #require(KernelThreadPool.shared)
        let probe = Probe(pool: pool)
        // The chunks run a plain function, as the pool requires; the probe is its context.
        let work: KernelThreadPool.Work = { raw, _ in
            let probe = Unmanaged<Probe>.fromOpaque(raw).takeUnretainedValue()
            if pthread_equal(pthread_self(), probe.caller) == 0 { probe.onOtherThread.add(1, ordering: .relaxed) }
            let nothing: KernelThreadPool.Work = { _, _ in }
            if !probe.pool.run(chunks: 1, context: raw, work: nothing) { probe.refused.add(1, ordering: .relaxed) }
            usleep(200)  // long enough for a worker to take the other chunk
        }
        let context = UnsafeRawPointer(Unmanaged.passUnretained(probe).toOpaque())
        for _ in 0..<50 {
            // Tests running at the same time may hold the pool for a moment.
            while !pool.run(chunks: 2, context: context, work: work) { usleep(100) }
        }
        #expect(probe.refused.load(ordering: .relaxed) == 100, "every chunk's nested step must be refused")
        #expect(probe.onOtherThread.load(ordering: .relaxed) > 0, "no chunk ran on a worker in 50 steps")
    }

    @Test("A parallelChunks inside a chunk runs every inner index once")
    func nested() {
        let outer = 8, inner = 100
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: outer * inner)
        let shared = UnsafeSendablePointer(counts)
        parallelChunks(outer) { outerRange in
            for o in outerRange {
                parallelChunks(inner) { innerRange in
                    for i in innerRange { shared.pointer[o * inner + i] += 1 }
                }
            }
        }
        #expect(UnsafeBufferPointer(start: counts, count: outer * inner).allSatisfy { $0 == 1 })
    }

    final class Failures: Sendable { let count = Atomic<Int>(0) }

    @Test("Calls from several threads at once: one has the pool, the others fall back; all complete")
    func concurrentCallers() {
        let callers = 4, rounds = 200
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<rounds {
                let counts = Self.visits(count: 50 + caller * 7 + round % 5)
                if !counts.allSatisfy({ $0 == 1 }) { failures.count.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.count.load(ordering: .relaxed) == 0)
    }
}

/// Hands a pointer to the chunks, which write disjoint parts of what it points to.
private struct UnsafeSendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
