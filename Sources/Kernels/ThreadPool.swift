import CKernels
import Foundation
import Synchronization

/// The worker threads behind `parallelChunks`: `kernelThreadCount - 1` threads that, after each
/// parallel step, spin for `spinSeconds` waiting for the next one before they sleep.
///
/// A network's forward pass is a chain of parallel steps, one per layer, and most are short
/// (InceptionV3 at batch 1 has about 100 under a millisecond). Handing a step to a sleeping thread
/// through Dispatch's `concurrentPerform` costs a wake-up, and on the 2-core VMs the second thread
/// started its chunk 50-170 µs after the call: small_cnn at batch 1 ran faster on one thread than on
/// two. A spinning worker sees the next step within a microsecond or so. ONNX Runtime's thread pool
/// spins the same way.
///
/// One step runs at a time: a call that finds the pool busy (another thread's network, or a
/// `parallelChunks` inside a chunk) returns false, and the caller falls back to `concurrentPerform`.
///
/// Spinning is for a process that runs networks back to back (`ecg bench`, `predict`, `evaluate`,
/// `train`). A server shares its cores with the threads that answer requests, which the spinning
/// starved: under `tools/load/attack.sh` (2-core VM) `/health`'s p99 rose from 9.5 to 42 ms and the
/// uploads answered fell by a quarter. So `ecg serve` turns the pool off (`isEnabled`), and its
/// kernels use `concurrentPerform` as before.
///
/// How a step is handed out: the caller stores the step's function and context, and the count of
/// unfinished chunks, then publishes a ticket (step number, chunk count, next chunk) in one atomic
/// word. Workers take chunks by advancing the ticket's next chunk with compare-and-swap, which fails
/// once the ticket names another step, so a worker that wakes late never runs a chunk of a step
/// that is over. The caller takes chunks too, then waits for the unfinished count to reach zero.
public final class KernelThreadPool: @unchecked Sendable {
    /// A step's work: called with the step's context and a chunk index.
    typealias Work = @convention(c) (UnsafeRawPointer, Int) -> Void

    /// The pool `parallelChunks` uses, or nil with one thread.
    static let shared: KernelThreadPool? = kernelThreadCount > 1 ? KernelThreadPool(workers: kernelThreadCount - 1) : nil

    /// Whether `parallelChunks` uses the pool (true unless turned off; the workers start at the
    /// first parallel step that uses it). A server turns it off before its first inference.
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }
    private static let enabled = Atomic<Bool>(true)

    /// How long a worker spins after a step before it sleeps: long enough to bridge the gap
    /// between two layers, short enough not to hold a core that the rest of a server needs.
    static let spinSeconds = 0.000_2

    /// Step number (bits 40...), chunk count (bits 20..<40) and next chunk (bits 0..<20).
    private let ticket = Atomic<UInt64>(0)
    /// Chunks of the current step not yet finished.
    private let unfinished = Atomic<Int>(0)
    /// Whether a step is being run (by its caller, with the workers).
    private let busy = Atomic<Bool>(false)
    /// The current step's work and context; written only while no step is published.
    nonisolated(unsafe) private var work: Work?
    nonisolated(unsafe) private var context: UnsafeRawPointer?
    /// Sleeping workers wait here for the ticket to change.
    private let condition = NSCondition()
    nonisolated(unsafe) private var sleepers = 0

    private static let chunkBits: UInt64 = 20
    private static let chunkMask: UInt64 = (1 << chunkBits) - 1
    /// The most chunks one step can have.
    static let maximumChunks = Int(chunkMask)

    private init(workers: Int) {
        for index in 0..<workers {
            Thread { [self] in
                Thread.current.name = "ecg-kernel-\(index + 1)"  // set inside: Foundation on Linux names the thread only then
                workerLoop()
            }.start()
        }
    }

    /// Runs `work(context, i)` for every `i` in `0..<chunks` on the calling thread and the
    /// workers, and returns when all have finished; returns false at once, having run nothing,
    /// when another step is running.
    func run(chunks: Int, context: UnsafeRawPointer, work: Work) -> Bool {
        precondition(chunks > 0 && chunks <= Self.maximumChunks)
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        self.work = work
        self.context = context
        unfinished.store(chunks, ordering: .relaxed)
        // Step numbers wrap within their 24 bits.
        let step = ((ticket.load(ordering: .relaxed) >> (2 * Self.chunkBits)) + 1) & ((1 << (64 - 2 * Self.chunkBits)) - 1)
        condition.lock()
        ticket.store(step << (2 * Self.chunkBits) | UInt64(chunks) << Self.chunkBits, ordering: .releasing)
        if sleepers > 0 { condition.broadcast() }
        condition.unlock()
        takeChunks(step: step)
        while unfinished.load(ordering: .acquiring) > 0 { ecg_spin_pause() }
        self.work = nil
        self.context = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Runs chunks of step `step` until none is left (or the ticket names another step).
    private func takeChunks(step: UInt64) {
        var current = ticket.load(ordering: .acquiring)
        while current >> (2 * Self.chunkBits) == step, current & Self.chunkMask < (current >> Self.chunkBits) & Self.chunkMask {
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            guard exchanged else {
                current = original
                continue
            }
            work!(context!, Int(current & Self.chunkMask))
            unfinished.subtract(1, ordering: .releasing)
            current = ticket.load(ordering: .acquiring)
        }
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            var step = ticket.load(ordering: .acquiring) >> (2 * Self.chunkBits)
            if step == seen {
                let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.spinSeconds * 1e9)
                var spins = 0
                while step == seen {
                    ecg_spin_pause()
                    spins += 1
                    if spins % 64 == 0, DispatchTime.now().uptimeNanoseconds > deadline {
                        condition.lock()
                        while ticket.load(ordering: .acquiring) >> (2 * Self.chunkBits) == seen {
                            sleepers += 1
                            condition.wait()
                            sleepers -= 1
                        }
                        condition.unlock()
                    }
                    step = ticket.load(ordering: .acquiring) >> (2 * Self.chunkBits)
                }
            }
            seen = step
            takeChunks(step: step)
        }
    }
}
