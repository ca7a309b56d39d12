import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who gets the CPU first when the server is busy: the HTTP side (``RequestExecutor``), then
/// decoding, form parsing and inference.
///
/// On Linux each thread has its own nice value. Threads that decode, parse or classify lower
/// theirs to ``computeNice``, so a `/health` probe or a small request is scheduled ahead of a
/// 15-megapixel decode on the same core; the request threads raise theirs to ``requestNice``
/// where the process may (as root; elsewhere they stay at the default, which still beats the
/// compute threads). Elsewhere (macOS) these are no-ops: Dispatch's QoS classes do this there.
public enum ComputePriority {
    /// The nice value of decoding and inference threads (0 is the default, 19 the lowest).
    public static let computeNice: Int32 = 10
    /// The nice value the request threads ask for (below 0 needs CAP_SYS_NICE).
    public static let requestNice: Int32 = -5
    /// The nice value the event loops ask for: above the request threads, because they answer
    /// `/health` and `/ready` themselves (``ProbeHandler``) and hand every request its bytes.
    public static let eventLoopNice: Int32 = -10

    /// Lowers the calling thread to ``computeNice`` (it stays there: the thread is a compute
    /// thread from now on).
    public static func lowerCurrentThread() { setCurrentThreadNice(computeNice) }

    /// Raises the calling thread to ``requestNice`` where permitted.
    public static func raiseCurrentThread() { setCurrentThreadNice(requestNice) }

    /// Raises the calling event-loop thread to ``eventLoopNice`` where permitted.
    public static func raiseEventLoopThread() { setCurrentThreadNice(eventLoopNice) }

    /// Names the calling thread (at most 15 bytes are kept) for `top -H`, `perf` and
    /// `/proc/PID/task/*/comm`. Foundation names a `Thread` on Linux only when the name is set
    /// from inside it; otherwise every thread shows its creator's name (`…root.default-qos`).
    public static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        // `pthread_setname_np` is not in Swift's Glibc module; the kernel takes the name here too.
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        #endif
    }

    /// The calling thread's nice value (Linux), or nil where threads have none of their own.
    public static func currentThreadNice() -> Int32? {
        #if os(Linux)
        guard let thread = currentThreadID() else { return nil }
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread)
        return errno == 0 ? value : nil
        #else
        return nil
        #endif
    }

    private static func setCurrentThreadNice(_ value: Int32) {
        #if os(Linux)
        // PRIO_PROCESS with a thread id sets that thread alone (Linux's threads are tasks).
        if let thread = currentThreadID() { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, value) }
        #endif
    }

    #if os(Linux)
    /// The calling thread's kernel id, from `/proc/thread-self` (a link to `PID/task/TID`):
    /// Swift cannot call the variadic `syscall(SYS_gettid)`.
    private static func currentThreadID() -> id_t? {
        var path = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/thread-self", &path, path.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: path.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: "/").last.flatMap { id_t($0) }
    }
    #endif
}

/// Runs `work` (CPU-heavy request work: splitting a 20 MB form, say) on Dispatch's pool at
/// compute priority, so that the request threads stay free for other requests meanwhile.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            ComputePriority.lowerCurrentThread()
            do {
                continuation.resume(returning: try work())
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
