import ArgumentParser
import Datasets
import Foundation
import Inference

/// `ecg predict`'s batch mode: the options, and the run that lists, shards, resumes and scores.
struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Batch mode: append one record per file to this JSON lines or CSV file.",
        discussion: "A rerun skips the files it already holds, so a killed job resumes where it stopped.",
        valueName: "file"))
    var output: String?

    @Option(name: .customLong("list"), help: ArgumentHelp(
        "A file listing images to score, one path per line (relative paths from the working directory).",
        valueName: "file"))
    var lists: [String] = []

    @Option(help: "jsonl or csv; by default csv for a .csv output, else jsonl.")
    var format: String?

    @Option(help: ArgumentHelp(
        "Score only part I of N (from 0) of the sorted file list.",
        discussion: "Without it, $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job's) gives I, and --shard-count or $ECG_SHARD_COUNT gives N.",
        valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("The number of shards N, with $JOB_COMPLETION_INDEX.", valueName: "N"))
    var shardCount: Int?

    /// One per core: decoding and resizing a page costs more than the small CNN's forward pass,
    /// and with fewer threads the model waited for pages (measured in docs/deployment.md).
    @Option(help: "Threads that read, decode and prepare images while the model runs (default: one per core).")
    var decoders: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The most images in one forward pass.")
    var batchSize: Int = 8

    @Flag(help: "Score again the files whose earlier attempt failed (by default every file already in the output is skipped).")
    var retryErrors = false

    /// Checks the batch options (the environment's shard included).
    func validate(inputs: [String]) throws {
        if inputs.isEmpty && lists.isEmpty { throw ValidationError("give folders, images or --list files to score") }
        if let format, BatchFormat(rawValue: format) == nil { throw ValidationError("--format must be jsonl or csv") }
        guard decoders > 0, batchSize > 0 else { throw ValidationError("--decoders and --batch-size must be positive") }
        _ = try resolvedShard(environment: ProcessInfo.processInfo.environment)
    }

    var resolvedFormat: BatchFormat { format.flatMap(BatchFormat.init(rawValue:)) ?? BatchFormat(path: output ?? "") }

    /// The shard this process scores: --shard, else $JOB_COMPLETION_INDEX of --shard-count or
    /// $ECG_SHARD_COUNT, else the whole list.
    func resolvedShard(environment: [String: String]) throws -> Shard {
        if let shard {
            guard let parsed = Shard(shard) else { throw ValidationError("--shard must be I/N with 0 <= I < N, not \(shard)") }
            return parsed
        }
        guard let indexText = environment["JOB_COMPLETION_INDEX"] else {
            if shardCount != nil { throw ValidationError("--shard-count needs $JOB_COMPLETION_INDEX (or use --shard I/N)") }
            return .all
        }
        guard let index = Int(indexText) else { throw ValidationError("$JOB_COMPLETION_INDEX is not a number: \(indexText)") }
        guard let count = shardCount ?? environment["ECG_SHARD_COUNT"].flatMap({ Int($0) }) else {
            throw ValidationError("$JOB_COMPLETION_INDEX is set but not the number of shards: pass --shard-count N or set $ECG_SHARD_COUNT")
        }
        do { return try Shard(index: index, count: count) } catch { throw ValidationError("\(error)") }
    }
}

extension ECG.Predict {
    /// Scores the manifest's part for this shard into `--output`, skipping what it already holds.
    func runBatch(registry: ModelRegistry) throws {
        let output = batch.output!, format = batch.resolvedFormat
        let shard = try batch.resolvedShard(environment: ProcessInfo.processInfo.environment)
        try failingCleanly {
            let classifier = try Classifier(entry: registry.entry(model), registry: registry)
            let files = try BatchManifest(inputs: images, listFiles: batch.lists).files(in: shard)
            let earlier = try BatchResults.read(output, format: format, repair: true)
            if let other = earlier.first(where: { $0.model != classifier.key }) {
                throw CLIError("\(output) holds results of model \(other.model), not \(classifier.key): write to another file")
            }
            let done = Set(earlier.filter { !batch.retryErrors || $0.status == .ok }.map(\.file))
            let pending = files.filter { !done.contains($0) }
            note("""
                \(classifier.key): scoring \(pending.count) of \(files.count) files (shard \(shard); \
                \(files.count - pending.count) already in \(output)), \(batch.decoders) decoder threads, batches of \(batch.batchSize)
                """)
            if !classifier.trained { note("warning: \(classifier.key) has UNTRAINED random weights: its predictions mean nothing") }

            let writer = try BatchResultsWriter(path: output, format: format, classes: classifier.classes)
            let progress = CountingProgressBar("scoring", total: pending.count, unit: "pages")
            var written = 0, failed = 0
            let scorer = BatchScorer(classifier: classifier, decoders: batch.decoders, batchSize: batch.batchSize, enforceGate: !noGate)
            let statistics = try scorer.run(pending.map { URL(fileURLWithPath: $0) }) { outcome in
                let file = pending[outcome.index]
                let record: BatchRecord
                switch outcome.result {
                case .success(let scored):
                    record = BatchRecord(
                        file: file, model: classifier.key, trained: classifier.trained, status: .ok,
                        prediction: scored.prediction.predictedClass, gate: scored.verdict.code, classes: scored.prediction.classes,
                        probabilities: scored.prediction.probabilities, decodeMilliseconds: scored.decodeMilliseconds,
                        preprocessMilliseconds: scored.preprocessMilliseconds, inferenceMilliseconds: scored.inferenceMilliseconds)
                case .failure(let failure):
                    failed += 1
                    record = BatchRecord(file: file, model: classifier.key, trained: classifier.trained, status: .error,
                                         gate: failure.verdict?.code, error: failure.description)
                }
                try writer.append(record)
                written += 1
                progress.update(written, detail: failed > 0 ? "\(failed) failed" : "")
            }
            try writer.synchronize()
            progress.finish()
            note(summary(statistics, output: output))
        }
    }

    /// Where the time went: the rate, and whether decoding kept the model busy.
    private func summary(_ statistics: BatchScorer.Statistics, output: String) -> String {
        let scored = statistics.files - statistics.failures
        let rate = statistics.wallSeconds > 0 ? Double(statistics.files) / statistics.wallSeconds : 0
        let perPage = { (seconds: Double, count: Int) in count > 0 ? seconds * 1000 / Double(count) : 0 }
        return String(format: """
            scored %d files in %.1f s (%.1f pages/s), %d failed (recorded in %@); per page: decode+prepare %.1f ms \
            (over %d threads), inference %.1f ms; the model waited %.1f s for decoded pages
            """, statistics.files, statistics.wallSeconds, rate, statistics.failures, output as NSString,
            perPage(statistics.decodeSeconds, statistics.files), batch.decoders,
            perPage(statistics.inferenceSeconds, scored), statistics.starvedSeconds)
    }
}
