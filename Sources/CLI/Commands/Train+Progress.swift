import Foundation
import Training

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ecg train`'s progress on standard error: a live bar over the whole run (epoch, step, loss,
/// accuracy, images/s, ETA) on a terminal, and a permanent line per epoch and split everywhere.
struct TrainingProgress {
    private var bar: CountingProgressBar?
    /// Clears the live bar's line first (on a terminal only).
    private let clear = isatty(STDERR_FILENO) != 0 ? "\r\u{1B}[K" : ""

    mutating func show(_ event: TrainingEvent) {
        switch event {
        case let .phaseStarted(phase):
            permanent("phase \(phase.name): up to \(phase.epochs) epochs at learning rate " + String(format: "%g", phase.learningRate))
        case let .step(progress):
            if bar?.total != progress.totalSteps { bar = CountingProgressBar("training", total: progress.totalSteps, unit: "steps") }
            bar?.update(progress.completedSteps, detail: String(
                format: "epoch %d/%d step %d/%d  loss %.4f  acc %5.1f%%  %.1f img/s", progress.epoch, progress.epochs,
                progress.step, progress.steps, progress.loss, progress.accuracy * 100, progress.imagesPerSecond))
        case let .epochFinished(record):
            permanent(String(format: "epoch %d %@  loss %.4f  acc %5.1f%%  lr %.2g  %.1f img/s  %5.0f s", record.epoch,
                             record.split.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0), record.loss,
                             record.accuracy * 100, record.learningRate, record.imagesPerSecond, record.elapsedSeconds))
        case let .bestEpoch(epoch, loss):
            permanent("  saved epoch \(epoch)'s weights" + (loss.map { String(format: " (best validation loss %.4f)", $0) } ?? ""))
        case let .stoppedEarly(epoch, bestEpoch):
            permanent("  no better validation loss since epoch \(bestEpoch): phase stopped after epoch \(epoch)")
        }
    }

    /// Clears the live line, then writes `line` for good.
    private func permanent(_ line: String) {
        FileHandle.standardError.write(Data("\(clear)\(line)\n".utf8))
    }
}
