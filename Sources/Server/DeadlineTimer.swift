import Dispatch
import Foundation

/// Runs short actions at set times, on one thread of its own at the request threads' priority
/// (``ComputePriority/requestNice``): the refusals of large images that waited or ran past their
/// bounds (``InferenceWorker``) and the timeouts of pages being measured (``PageMeasurer``).
///
/// Not Dispatch's timers: they run on Dispatch's global threads, which the decoders lower to
/// ``ComputePriority/computeNice`` for good, so under load a refusal due at 1 s came at 1.15 s,
/// waiting for a CPU behind the work it was meant to cut short.
final class DeadlineTimer: @unchecked Sendable {
    /// The one timer thread of the process, started on first use.
    static let shared = DeadlineTimer()

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var entries: [(deadline: DispatchTime, action: @Sendable () -> Void)] = []
    private var started = false

    /// Runs `action` on the timer's thread once `seconds` have passed. Actions run one after
    /// another, so each must be short (resume a continuation, take a job off a queue).
    func schedule(after seconds: Double, _ action: @escaping @Sendable () -> Void) {
        condition.withLock {
            entries.append((.now() + seconds, action))
            if !started {
                started = true
                let thread = Thread { [self] in run() }
                thread.name = "deadlines"
                thread.start()
            }
            condition.signal()
        }
    }

    private func run() {
        ComputePriority.nameCurrentThread("deadlines")
        ComputePriority.raiseCurrentThread()
        condition.lock()
        while true {
            let now = DispatchTime.now()
            let due = entries.filter { $0.deadline <= now }
            if !due.isEmpty {
                entries.removeAll { $0.deadline <= now }
                condition.unlock()
                due.forEach { $0.action() }
                condition.lock()
                continue
            }
            guard let next = entries.map(\.deadline).min() else {
                condition.wait()
                continue
            }
            let seconds = Double(next.uptimeNanoseconds - now.uptimeNanoseconds) / 1e9
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
    }
}
