import Dispatch
import Foundation

/// A one-line progress bar over a count of items on standard error
/// (`label [#####-----] 120/743  35.2 images/s  ETA 0:18`), redrawn in place. Drawn only when
/// standard error is a terminal, so logs and pipes stay clean.
struct CountingProgressBar {
    let label: String
    let total: Int
    /// What is counted, for the rate (`images`).
    let unit: String
    private let start = DispatchTime.now()
    private let enabled = isatty(STDERR_FILENO) != 0

    init(_ label: String, total: Int, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// Redraws the bar with `done` of `total` finished, followed by `detail`.
    func update(_ done: Int, detail: String = "") {
        guard enabled else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let width = 30, filled = total == 0 ? width : min(width, done * width / total)
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Int((Double(total - done) / rate).rounded()) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = "\(label) [\(bar)] \(done)/\(total)  " + String(format: "%.1f ", rate) + "\(unit)/s  ETA "
            + String(format: "%d:%02d", eta / 60, eta % 60)
        FileHandle.standardError.write(Data("\r\(line)\(detail.isEmpty ? "" : "  \(detail)")\u{1B}[K".utf8))
    }

    /// Ends the bar's line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
