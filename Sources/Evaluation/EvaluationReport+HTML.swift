import Datasets
import Foundation

extension EvaluationReport {
    /// The report as one self-contained HTML page: inline CSS and SVG, no scripts, no external
    /// resources, so it can be mailed or archived as a single file. The markup is also well-formed
    /// XML (every element closed, all text escaped).
    public func html() -> String {
        let title = "ECGLens evaluation: \(model.name) on \(data)"
        var body = "<h1>\(escapeHTML(title))</h1>"
        body += "<p class=\"notice\">\(escapeHTML(notice))</p>"
        if !model.trained {
            body += "<p class=\"untrained\">UNTRAINED MODEL: these weights are randomly initialised "
                + "(\(escapeHTML(model.provenance))). Every figure below is chance-level noise, not a measurement of the method.</p>"
        }
        body += summarySection() + classSection() + plotsSection() + trainingSection() + mistakesSection()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><title>\(escapeHTML(title))</title>
            <style>\(Self.style)</style></head>
            <body>\(body)</body></html>

            """
    }

    private static let style = """
        body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
        td:first-child,th:first-child{text-align:left}.notice{background:#fff6d5;border:1px solid #e0c060;padding:8px}
        .untrained{background:#fde2e2;border:2px solid #c33;padding:8px;font-weight:bold}
        figure{display:inline-block;vertical-align:top;margin:1em}figcaption{font-size:90%;color:#555;max-width:420px}
        .small{font-size:85%;color:#555}
        """

    private func summarySection() -> String {
        let interval = "\(Int((bootstrap.confidence * 100).rounded())) % CI"
        var rows = [
            ("Images counted", countDescription),
            ("Accuracy (\(interval))", formatted(metrics.accuracy)),
            ("Macro-F1 (\(interval))", formatted(metrics.macroF1)),
            ("Expected calibration error (\(calibration.bins.count) bins)", percent(calibration.expectedCalibrationError)),
            ("Log-loss (nats)", f(logLoss, digits: 3)),
            ("Crop", model.crop.map { "\($0) (left,top,right,bottom page fractions)" } ?? "none (whole page)"),
            ("Input", "\(model.inputSize) px, \(model.resize) resize, \(model.preprocessing) preprocessing"),
            ("Weights", model.provenance),
            ("Time", String(format: "%.1f s (%.1f files/s)", seconds, Double(fileCount) / max(seconds, 1e-9))),
        ]
        if !unreadable.isEmpty { rows.insert(("Unreadable images (skipped)", "\(unreadable.count)"), at: 1) }
        let table = rows.map { "<tr><th>\(escapeHTML($0.0))</th><td>\(escapeHTML($0.1))</td></tr>" }.joined()
        return """
            <h2>Summary</h2><table>\(table)</table>
            <p class="small">\(escapeHTML(countNote))</p>
            """
    }

    private var countNote: String {
        let intervals = "Intervals: percentile bootstrap, \(bootstrap.resamples) resamples, seed \(bootstrap.seed), "
        return intervals + (duplicatesCounted
            ? "over files. Every file counted, copies of one picture included: pictures with copies weigh more, and the intervals are too narrow."
            : "over distinct images. Copies and near duplicates of one picture (found as ecg split finds them) count once, "
                + "so the resampled images are independent as far as the split can tell.")
    }

    private func classSection() -> String {
        let header = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>predicted</th></tr>"
        let rows = metrics.classes.map { c in
            "<tr><td>\(escapeHTML(c.name))</td><td>\(formatted(c.precision))</td><td>\(formatted(c.recall))</td>"
                + "<td>\(formatted(c.f1))</td><td>\(c.support)</td><td>\(c.predicted)</td></tr>"
        }.joined()
        return "<h2>Per class</h2><table>\(header)\(rows)</table>"
    }

    private func plotsSection() -> String {
        let f1Rows = metrics.classes.map { ($0.name, $0.f1) } + [("macro-F1", metrics.macroF1), ("accuracy", metrics.accuracy)]
        return "<h2>Plots</h2>"
            + figure(SVGCharts.confusionMatrix(classes: classes, counts: metrics.confusionMatrix),
                     caption: "Confusion matrix: rows are true classes, columns predictions; shading and percentages are shares of the row.")
            + figure(SVGCharts.reliabilityDiagram(calibration),
                     caption: "Reliability diagram: accuracy of the images in each confidence bin (count above each bar); the dashed diagonal is perfect calibration.")
            + figure(SVGCharts.intervalBars(f1Rows, xLabel: "F1 / accuracy"),
                     caption: "Per-class F1, macro-F1 and accuracy with their bootstrap confidence intervals.")
    }

    private func trainingSection() -> String {
        guard let log = trainingLog, !log.isEmpty else { return "" }
        let splits = [("train", "#4a7fb5"), ("val", "#d9822b")]
        // Where the recipe's phase changes (frozen backbone, then top blocks): (first epoch, phase).
        let phases = log.enumerated().filter { $0.offset == 0 || log[$0.offset - 1].phase != $0.element.phase }
            .map { (Double($0.element.epoch), $0.element.phase) }
        func chart(_ title: String, _ yRange: ClosedRange<Double>?, _ value: (EpochRecord) -> Float) -> String {
            let series = splits.map { split, color in
                (name: split, color: color, points: log.filter { $0.split.rawValue == split && value($0).isFinite }
                    .map { (Double($0.epoch), Double(value($0))) })
            }.filter { !$0.points.isEmpty }
            let chart = SVGCharts.lineChart(title: title, yLabel: title.lowercased(), yRange: yRange, series: series,
                                            markers: phases.count > 1 ? phases : [])
            return figure(chart, caption: "\(title) per epoch on the training and validation splits"
                          + (phases.count > 1 ? "; dashed lines mark where a recipe phase starts." : "."))
        }
        return "<h2>Training curves</h2>" + chart("Loss", nil, \.loss) + chart("Accuracy", 0...1, \.accuracy)
    }

    private func mistakesSection() -> String {
        var html = "<h2>Misclassified files (\(misclassified.count))</h2>"
        if misclassified.isEmpty {
            html += "<p>None.</p>"
        } else {
            let rows = misclassified.sorted { $0.confidence > $1.confidence }.map { m in
                "<tr><td>\(escapeHTML(m.file))</td><td>\(escapeHTML(m.trueClass))</td><td>\(escapeHTML(m.predictedClass))</td><td>\(percent(m.confidence))</td></tr>"
            }.joined()
            html += "<table><tr><th>file</th><th>true class</th><th>predicted</th><th>confidence</th></tr>\(rows)</table>"
        }
        if !unreadable.isEmpty {
            let rows = unreadable.map { "<tr><td>\(escapeHTML($0.file))</td><td>\(escapeHTML($0.reason))</td></tr>" }.joined()
            html += "<h2>Unreadable images (\(unreadable.count), skipped)</h2><table>\(rows)</table>"
        }
        return html
    }

    private func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption>\(escapeHTML(caption))</figcaption></figure>"
    }
}

/// `87.5% (80.1–93.2)`, or `—` where undefined.
func formatted(_ estimate: Estimate) -> String {
    guard let value = estimate.value else { return "—" }
    guard let lower = estimate.lower, let upper = estimate.upper else { return percent(value) }
    return "\(percent(value)) (\(String(format: "%.1f", lower * 100))–\(String(format: "%.1f", upper * 100)))"
}
