extension EvaluationReport {
    /// What the figures count: `79 distinct images (151 files)`, or `151 files, duplicates counted`.
    public var countDescription: String {
        duplicatesCounted ? "\(fileCount) files, duplicates counted" : "\(imageCount) distinct images (\(fileCount) files)"
    }

    /// The summary table printed by `ecg evaluate`: per-class precision, recall and F1 with their
    /// intervals and support, then accuracy, macro-F1, calibration error and log-loss.
    public func summary() -> String {
        let crop = model.crop.map { "crop \($0)" } ?? "whole page"
        var lines = ["\(model.name) (\(model.key)) on \(data): \(countDescription), \(crop)"
                     + (model.trained ? "" : "  [UNTRAINED random weights: the figures mean nothing]")]
        let nameWidth = max(classes.map(\.count).max() ?? 0, 16) + 2
        func row(_ cells: [String]) -> String {
            let padded = cells[0].padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + cells.dropFirst().map { $0.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined()
            return String(padded.reversed().drop { $0 == " " }.reversed())
        }
        lines.append(row(["class", "precision", "recall", "F1", "support"]))
        for c in metrics.classes {
            lines.append(row([c.name, formatted(c.precision), formatted(c.recall), formatted(c.f1), "\(c.support)"]))
        }
        let interval = "\(Int((bootstrap.confidence * 100).rounded()))% CI, \(bootstrap.resamples) bootstrap resamples"
        lines.append("accuracy  \(formatted(metrics.accuracy))   macro-F1  \(formatted(metrics.macroF1))   (\(interval))")
        lines.append("expected calibration error \(percent(calibration.expectedCalibrationError)) (\(calibration.bins.count) bins), "
                     + "log-loss \(f(logLoss, digits: 3))")
        if let temperature, let before = calibrationBeforeScaling {
            lines.append("  (after temperature scaling, T = \(f(temperature, digits: 3)); before it: expected calibration error "
                         + "\(percent(before.expectedCalibrationError)))")
        }
        lines.append("misclassified files: \(misclassified.count)" + (unreadable.isEmpty ? "" : ", unreadable (skipped): \(unreadable.count)"))
        if let precisionChange { lines.append(precisionChange.summary) }
        lines.append(notice)
        return lines.joined(separator: "\n")
    }
}

extension EvaluationReport {
    /// The figures as a Markdown table, for a model card (`evaluation.md`).
    public func markdown() -> String {
        var lines = [
            "Evaluation of `\(model.key)` on `\(data)` (\(countDescription); "
                + (model.crop.map { "crop `\($0)`" } ?? "whole page") + (model.trained ? "" : "; UNTRAINED random weights") + ").",
            "Intervals: \(Int((bootstrap.confidence * 100).rounded()))% percentile bootstrap over "
                + (duplicatesCounted ? "files, " : "distinct images, ")
                + "\(bootstrap.resamples) resamples, seed \(bootstrap.seed).",
            "",
            "| class | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for c in metrics.classes {
            lines.append("| \(c.name) | \(formatted(c.precision)) | \(formatted(c.recall)) | \(formatted(c.f1)) | \(c.support) |")
        }
        lines.append("| **accuracy** | | | \(formatted(metrics.accuracy)) | \(imageCount) |")
        lines.append("| **macro-F1** | | | \(formatted(metrics.macroF1)) | |")
        lines.append("")
        lines.append("Expected calibration error \(percent(calibration.expectedCalibrationError)) (\(calibration.bins.count) bins), "
                     + "log-loss \(f(logLoss, digits: 3)), \(misclassified.count) misclassified files.")
        if let precisionChange { lines.append(""); lines.append(precisionChange.summary + ".") }
        return lines.joined(separator: "\n") + "\n"
    }
}
