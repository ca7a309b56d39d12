#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread scratch memory for im2col tiles, kept between calls so that a network's
/// convolutions do not allocate (and page-fault) a fresh buffer each time.
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

private let scratchKey: pthread_key_t = {
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
}()

/// Calls `body` with at least `count` floats of this thread's scratch memory.
///
/// The memory is uninitialised and must not escape `body`; nested calls on one thread would
/// share it, so kernels never nest them.
func withScratch<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
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
