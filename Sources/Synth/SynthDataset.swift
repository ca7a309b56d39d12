import Dispatch
import Foundation

/// Why a data set could not be written.
public struct SynthError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Writes synthetic pages in the one-folder-per-class layout `Datasets.ImageFolder` reads:
/// `DIR/<class>/synthetic-<n>.png` (or `.jpg`) with `synthetic-<n>.json` beside it.
public enum SynthDataset {
    /// Writes `count` pages of each class in `classes`, numbered 1...count, on up to two threads.
    ///
    /// Page `n` of a class is the same for a seed whichever other classes, counts or thread
    /// timings a run has.
    /// - Parameter progress: Called after each page with the number written so far and the total
    ///   (from the writing threads, one call at a time).
    /// - Throws: `SynthError` naming the first file that could not be written.
    public static func write(to directory: URL, count: Int, classes: [ECGClass] = ECGClass.allCases, seed: UInt64,
                             options: PageOptions = PageOptions(), threads: Int = 2,
                             progress: @Sendable (Int, Int) -> Void = { _, _ in }) throws(SynthError) {
        let jobList = count > 0 ? classes.flatMap { label in (1...count).map { (label, $0) } } : []
        for label in classes {
            do {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent(label.rawValue), withIntermediateDirectories: true)
            } catch {
                throw SynthError(description: "cannot create \(directory.appendingPathComponent(label.rawValue).path): \(error.localizedDescription)")
            }
        }
        let state = SharedProgress(total: jobList.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, jobList.count))) { _ in
            while let job = state.nextJob() {
                let (label, n) = jobList[job]
                do {
                    let page = try SyntheticPage.make(label, seed: seed, index: n, options: options)
                    let stem = directory.appendingPathComponent(label.rawValue).appendingPathComponent("synthetic-\(n)")
                    try page.file.write(to: stem.appendingPathExtension(page.fileExtension), options: .atomic)
                    try page.sidecar.jsonData().write(to: stem.appendingPathExtension("json"), options: .atomic)
                    state.finish { progress($0, jobList.count) }
                } catch {
                    state.fail("\(label.rawValue)/synthetic-\(n): \(error)")
                }
            }
        }
        if let failure = state.failure { throw SynthError(description: failure) }
    }
}

/// The job counter and first failure the writing threads share.
private final class SharedProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0, done = 0
    private let total: Int
    private(set) var failure: String?

    init(total: Int) { self.total = total }

    /// The next job's index, or nil when all are taken or one has failed.
    func nextJob() -> Int? {
        lock.withLock {
            guard next < total, failure == nil else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// Counts a finished job and reports how many are finished, one report at a time.
    func finish(report: (Int) -> Void) { lock.withLock { done += 1; report(done) } }

    func fail(_ message: String) { lock.withLock { if failure == nil { failure = message } } }
}
