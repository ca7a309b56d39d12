import Dispatch
import Foundation

/// How many threads the kernels split their work over: `ECG_THREADS` from the environment when
/// set, otherwise the number of active processors.
public let kernelThreadCount: Int = {
    if let text = ProcessInfo.processInfo.environment["ECG_THREADS"], let value = Int(text), value > 0 {
        return value
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
}()

/// The fewest multiply-adds a forward kernel (convolution, depthwise, dense) hands to each
/// thread; a layer with less work than that per thread runs on the calling thread alone. Handing a
/// chunk to a second thread costs 10-20 µs on the 2-core VMs, about what one core needs for 2^18
/// multiply-adds. The dense heads at batch 1 run alone (depthwise layers take a quarter of this).
/// With `KernelThreadPool`'s spinning workers the hand-off is cheaper, but 2^16 timed the same as
/// 2^18 (small_cnn, MobileNetV2 and InceptionV3 at batch 1 and 8, passes alternating in one process).
let minimumParallelWork = 1 << 18

/// Runs `body` for every index in `0..<count`, spread over `kernelThreadCount` threads in
/// contiguous chunks: on the spinning workers of `KernelThreadPool` when it is on and free, else
/// through Dispatch's `concurrentPerform`. Runs inline when one chunk is enough.
///
/// - Parameters:
///   - count: the number of work items.
///   - minimumChunk: the fewest items worth handing to one thread.
///   - body: called with a half-open range of indices; ranges never overlap.
public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = min(kernelThreadCount, max(1, count / max(1, minimumChunk)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        var step = ParallelStep(count: count, chunks: chunks, body: body)
        let ran = withUnsafePointer(to: &step) { step in
            guard KernelThreadPool.isEnabled, let pool = KernelThreadPool.shared else { return false }
            return pool.run(chunks: chunks, context: UnsafeRawPointer(step), work: runParallelStepChunk)
        }
        if !ran {
            let box = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let range = ParallelStep.range(of: chunk, count: count, chunks: chunks)
                if !range.isEmpty { box.value(range) }
            }
        }
    }
}

/// One `parallelChunks` call, as its chunks see it.
private struct ParallelStep {
    let count: Int, chunks: Int
    let body: (Range<Int>) -> Void

    /// The indices of chunk `chunk` of `chunks` over `0..<count`.
    static func range(of chunk: Int, count: Int, chunks: Int) -> Range<Int> {
        (count * chunk / chunks)..<(count * (chunk + 1) / chunks)
    }
}

/// Runs one chunk of the `ParallelStep` at `context` (for `KernelThreadPool`, which calls plain
/// functions so that the step's closure is released before the chunk counts as finished).
private let runParallelStepChunk: KernelThreadPool.Work = { context, chunk in
    let step = context.assumingMemoryBound(to: ParallelStep.self)
    let range = ParallelStep.range(of: chunk, count: step.pointee.count, chunks: step.pointee.chunks)
    if !range.isEmpty { step.pointee.body(range) }
}

/// Carries a non-Sendable value into `concurrentPerform`, whose workers only read it.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
