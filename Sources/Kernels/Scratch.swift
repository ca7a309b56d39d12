#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread scratch memory (`withScratch`), kept between calls so that a network's convolutions
/// do not allocate (and page-fault) a fresh buffer each time.
private final class ScratchBuffer {
    var pointer: UnsafeMutablePointer<Float>
    var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A thread's two scratch buffers.
enum ScratchSlot {
    /// For the tiles: im2col's packed panels, padded bands, Winograd's transforms, GEMM's packing.
    case tiles
    /// For the bands of the fused kernels (`depthwisePointwiseForward`, `conv2dMaxPoolForward`),
    /// which run convolutions (on `tiles`) inside their bands.
    ///
    /// These bands were `withUnsafeTemporaryAllocation` blocks (384 KiB and more, so malloc's), one
    /// per thread per call, and each went back to the one malloc arena (`Tensor`) when the call
    /// ended; the next call's thread, or the next layer's output tensor, could get the block the
    /// other core had just written. Kept per thread, a core's band stays in its own L2. MobileNetV2
    /// at batch 1, two threads, 2-core Zen 2 VM, 16 alternating rounds: 0.95x the time (the fused
    /// 56 x 56 blocks 10-20 % faster); one thread 0.985x, batch 8 0.99x.
    case bands

    /// The slot's thread-specific key.
    var key: pthread_key_t { self == .tiles ? tilesKey : bandsKey }
}

private func makeScratchKey() -> pthread_key_t {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
        #if canImport(Darwin)
        Unmanaged<AnyObject>.fromOpaque(raw).release()
        #else
        if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        #endif
    }
    precondition(status == 0, "pthread_key_create failed")
    return key
}

private let tilesKey = makeScratchKey()
private let bandsKey = makeScratchKey()

/// Calls `body` with at least `count` floats of this thread's scratch memory in `slot`, 64-byte
/// aligned.
///
/// The memory is uninitialised and must not escape `body`; nested calls on one thread with the
/// same slot would share it, so kernels never nest them.
func withScratch<R>(count: Int, slot: ScratchSlot = .tiles, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    let scratchKey = slot.key
    let buffer: ScratchBuffer
    if let raw = pthread_getspecific(scratchKey),
       let existing = Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as? ScratchBuffer,
       existing.capacity >= count {
        buffer = existing
    } else {
        if let raw = pthread_getspecific(scratchKey) { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        buffer = ScratchBuffer(capacity: max(count, 1 << 16))
        pthread_setspecific(scratchKey, Unmanaged.passRetained(buffer as AnyObject).toOpaque())
    }
    return body(buffer.pointer)
}
