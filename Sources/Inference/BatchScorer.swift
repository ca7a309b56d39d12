import Dispatch
import Foundation
import ImageIO

/// Scores many image files with one classifier: decoder threads read, decode and prepare pages
/// into a bounded queue while the calling thread runs the network on batches taken from it, so
/// decoding overlaps inference and memory stays bounded (at most `queueCapacity` prepared pages).
///
/// Every decoded page passes the input gate (turned upright, measured, and checked by the
/// model's novelty check after the forward pass); pages it refuses become failed outcomes that
/// carry the verdict, unless the gate is not enforced (`--no-gate`), when they are scored and
/// the verdict is recorded with the score. Files that cannot be read or decoded become failed
/// outcomes; they never stop the run.
public struct BatchScorer: Sendable {
    /// One file's result.
    public struct Outcome: Sendable {
        /// The file's position in the list given to ``run(_:handle:)``.
        public let index: Int
        /// The prediction and its timings, or why the file could not be scored.
        public let result: Result<Scored, Failure>
    }

    /// A scored page and where its time went (milliseconds).
    public struct Scored: Sendable {
        public let prediction: Prediction
        /// Reading and decoding the file.
        public let decodeMilliseconds: Double
        /// Crop, resize and preprocessing.
        public let preprocessMilliseconds: Double
        /// This page's share of its batch's forward pass.
        public let inferenceMilliseconds: Double
        /// The input gate's verdict (with the novelty check when the model has one).
        public let verdict: InputGate.Verdict
    }

    /// Why one file was not scored (a one-line message, without the path).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        /// The gate's verdict when it refused the page; nil when the file could not be read or decoded.
        public var verdict: InputGate.Verdict? = nil
    }

    /// Totals over a run, in seconds, to tell whether decoding or inference limits the rate.
    public struct Statistics: Sendable {
        public var files = 0, failures = 0
        public var wallSeconds = 0.0
        /// Decoder thread time spent reading, decoding and preparing (summed over threads).
        public var decodeSeconds = 0.0
        /// Time in forward passes.
        public var inferenceSeconds = 0.0
        /// Time the inference thread waited for a decoded page: near zero when decoding keeps up.
        public var starvedSeconds = 0.0
    }

    public let classifier: Classifier
    public let decoders: Int
    public let batchSize: Int
    public let queueCapacity: Int
    public let maxPixels: Int
    /// Refuse the pages the gate does not accept (false: score them and record the verdict).
    public let enforceGate: Bool

    /// - Parameters:
    ///   - decoders: Threads that read, decode and prepare files.
    ///   - batchSize: The most pages in one forward pass (fewer when decoding lags, never waiting to fill).
    ///   - maxPixels: The decoder's limit, so that a pixel bomb fails alone instead of exhausting memory.
    ///   - enforceGate: Refuse pages the input gate does not accept (false: `--no-gate`).
    public init(classifier: Classifier, decoders: Int, batchSize: Int, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                enforceGate: Bool = true) {
        precondition(decoders > 0 && batchSize > 0, "decoders and batch size must be positive")
        self.classifier = classifier
        self.decoders = decoders
        self.batchSize = batchSize
        self.queueCapacity = max(2 * batchSize, decoders)
        self.maxPixels = maxPixels
        self.enforceGate = enforceGate
    }

    /// Scores `files`, calling `handle` on the calling thread for each outcome (in batch order, not
    /// necessarily list order). An error thrown by `handle` stops the decoders and is rethrown.
    public func run(_ files: [URL], handle: (Outcome) throws -> Void) throws -> Statistics {
        let queue = PreparedQueue(capacity: queueCapacity, total: files.count)
        let start = DispatchTime.now()
        for _ in 0..<min(decoders, files.count) {
            let thread = Thread { [classifier, maxPixels, enforceGate] in
                let gate = InputGate()
                while let index = queue.nextIndex() {
                    let begin = DispatchTime.now()
                    let item: PreparedQueue.Item
                    do {
                        let data = try Data(contentsOf: files[index])
                        let examined = gate.examine(try classifier.decode(data, limits: .init(maxPixels: maxPixels)))
                        let decoded = DispatchTime.now()
                        if enforceGate && !examined.verdict.accepted {
                            let refusal = Failure(description: String(describing: NotAnECGPage(verdict: examined.verdict)),
                                                  verdict: examined.verdict)
                            item = .init(index: index, values: .failure(refusal),
                                         decodeMilliseconds: decoded.milliseconds(since: begin), preprocessMilliseconds: 0)
                        } else {
                            let page = classifier.prepare(examined.image)
                            item = .init(index: index, values: .success((page, examined.verdict)),
                                         decodeMilliseconds: decoded.milliseconds(since: begin),
                                         preprocessMilliseconds: DispatchTime.now().milliseconds(since: decoded))
                        }
                    } catch let error as ImageDecodingError {
                        item = .init(index: index, values: .failure(Failure(description: String(describing: error))),
                                     decodeMilliseconds: DispatchTime.now().milliseconds(since: begin), preprocessMilliseconds: 0)
                    } catch {
                        item = .init(index: index, values: .failure(Failure(description: "cannot read the file")),
                                     decodeMilliseconds: DispatchTime.now().milliseconds(since: begin), preprocessMilliseconds: 0)
                    }
                    if !queue.put(item) { return }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        defer { queue.cancel() }

        var statistics = Statistics()
        while let (items, waited) = queue.take(upTo: batchSize) {
            statistics.starvedSeconds += waited
            var pages: [Classifier.PreparedPage] = [], pageItems: [(item: PreparedQueue.Item, verdict: InputGate.Verdict)] = []
            for item in items {
                statistics.files += 1
                statistics.decodeSeconds += (item.decodeMilliseconds + item.preprocessMilliseconds) / 1000
                switch item.values {
                case .success(let (page, verdict)): pages.append(page); pageItems.append((item, verdict))
                case .failure(let failure):
                    statistics.failures += 1
                    try handle(Outcome(index: item.index, result: .failure(failure)))
                }
            }
            guard !pages.isEmpty else { continue }
            let before = DispatchTime.now()
            let answers = try classifier.classifyChecked(prepared: pages)
            statistics.inferenceSeconds += DispatchTime.now().milliseconds(since: before) / 1000
            for ((item, pageVerdict), answer) in zip(pageItems, answers) {
                let verdict = pageVerdict.adding(novelty: answer.novelty)
                if enforceGate && !verdict.accepted {
                    statistics.failures += 1
                    let refusal = Failure(description: String(describing: NotAnECGPage(verdict: verdict)), verdict: verdict)
                    try handle(Outcome(index: item.index, result: .failure(refusal)))
                    continue
                }
                try handle(Outcome(index: item.index, result: .success(Scored(
                    prediction: answer.prediction, decodeMilliseconds: item.decodeMilliseconds,
                    preprocessMilliseconds: item.preprocessMilliseconds,
                    inferenceMilliseconds: answer.prediction.timings.inferenceMilliseconds, verdict: verdict))))
            }
        }
        statistics.wallSeconds = DispatchTime.now().milliseconds(since: start) / 1000
        return statistics
    }
}

/// The bounded hand-over between decoder threads and the inference thread.
private final class PreparedQueue: @unchecked Sendable {
    struct Item {
        let index: Int
        /// The prepared network input and the page check's verdict, or why the page was not prepared.
        let values: Result<(Classifier.PreparedPage, InputGate.Verdict), BatchScorer.Failure>
        let decodeMilliseconds: Double
        let preprocessMilliseconds: Double
    }

    private let capacity: Int, total: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var items: [Item] = []
    private var handedOut = 0, taken = 0
    private var cancelled = false

    init(capacity: Int, total: Int) {
        (self.capacity, self.total) = (capacity, total)
    }

    /// The next file for a decoder, or nil when all are handed out or the run was cancelled.
    func nextIndex() -> Int? {
        condition.withLock {
            guard !cancelled, handedOut < total else { return nil }
            handedOut += 1
            return handedOut - 1
        }
    }

    /// Adds a prepared page, waiting while the queue is full; false when the run was cancelled.
    func put(_ item: Item) -> Bool {
        condition.withLock {
            while items.count >= capacity && !cancelled { condition.wait() }
            guard !cancelled else { return false }
            items.append(item)
            condition.broadcast()
            return true
        }
    }

    /// Up to `limit` pages, waiting for at least one, with the seconds waited; nil when every file
    /// has been taken.
    func take(upTo limit: Int) -> (items: [Item], waited: Double)? {
        condition.withLock {
            guard taken < total else { return nil }
            let start = DispatchTime.now()
            while items.isEmpty { condition.wait() }
            let batch = Array(items.prefix(limit))
            items.removeFirst(batch.count)
            taken += batch.count
            condition.broadcast()
            return (batch, DispatchTime.now().milliseconds(since: start) / 1000)
        }
    }

    /// Stops the decoders (after an error, or at the end of a run).
    func cancel() {
        condition.withLock {
            cancelled = true
            condition.broadcast()
        }
    }
}
