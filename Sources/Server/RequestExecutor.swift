import Foundation
import NIOCore

/// Threads of the server's own for the HTTP side: request handlers, form parsing, answers.
///
/// On a busy 2-core machine a `/health` probe waited seconds behind decoding and inference
/// (2.2 s worst under `tools/load/attack.sh`). Swift's default executor gives no say over its
/// threads' priority; these threads are the server's own, so they can ask for a higher one than
/// the compute threads get (``ComputePriority``). Measured under 8 parallel 20 MB uploads on a
/// 2-core VM with a load average of 18 from other builds: `/health` p50 33 ms, worst 290-380 ms
/// on these threads, against p50 130-180 ms, worst 840 ms on the default executor. The handlers
/// run here through a task executor preference (``serveOnRequestThreads(eventLoops:_:)``); heavy request
/// work (splitting a 20 MB form) is handed back to the compute pool (``offloaded(_:)``).
public final class RequestExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's request threads: two, enough for the light work left on them.
    public static let shared = RequestExecutor(threads: 2)

    private let condition = NSCondition()
    // Guarded by `condition`: the jobs not yet started, oldest first from `head`.
    private var jobs: [UnownedJob] = []
    private var head = 0

    /// Starts `threads` threads that run the jobs enqueued here for as long as the process lives.
    public init(threads: Int) {
        precondition(threads > 0, "an executor needs a thread")
        for index in 0..<threads {
            let thread = Thread { [unowned self] in
                ComputePriority.nameCurrentThread("ecg-http-\(index)")
                ComputePriority.raiseCurrentThread()
                run()
            }
            thread.name = "ecg-http-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs `body` (the HTTP server) with its tasks, and every child task it starts, on
/// ``RequestExecutor/shared``, away from the pool that decodes and classifies images; the event
/// loops that read the requests' bytes (`eventLoops`, the application's) are raised above the
/// request threads (``ComputePriority/eventLoopNice``).
public func serveOnRequestThreads(eventLoops: (any EventLoopGroup)? = nil, _ body: () async throws -> Void) async throws {
    for eventLoop in eventLoops?.makeIterator() ?? EventLoopIterator([]) {
        try await eventLoop.submit { ComputePriority.raiseEventLoopThread() }.get()
    }
    if #available(macOS 15, *) {
        try await withTaskExecutorPreference(RequestExecutor.shared) { try await body() }
    } else {
        try await body()
    }
}
