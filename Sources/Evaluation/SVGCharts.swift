import Foundation

/// Inline SVG plots for the HTML report: plain markup, no scripts, no external resources.
enum SVGCharts {
    /// Rows are true classes, columns predicted ones; each cell is shaded by its share of the row
    /// (the row's recall on the diagonal) and shows the count and that share.
    static func confusionMatrix(classes: [String], counts: [[Int]]) -> String {
        let cell = 72.0, left = 230.0, top = 20.0
        let side = cell * Double(classes.count)
        let width = left + side + 20, height = top + side + 150
        var svg = open(width: width, height: height, title: "Confusion matrix")
        for (row, rowCounts) in counts.enumerated() {
            let total = max(rowCounts.reduce(0, +), 1)
            let y = top + Double(row) * cell
            svg += text(classes[row], x: left - 8, y: y + cell / 2 + 4, anchor: "end")
            for (column, count) in rowCounts.enumerated() {
                let share = Double(count) / Double(total), x = left + Double(column) * cell
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(blue(share))\" stroke=\"#fff\"/>"
                let ink = share > 0.5 ? "#fff" : "#222"
                svg += text("\(count)", x: x + cell / 2, y: y + cell / 2, anchor: "middle", fill: ink, weight: "bold")
                svg += text(String(format: "%.0f%%", share * 100), x: x + cell / 2, y: y + cell / 2 + 16, anchor: "middle", fill: ink)
            }
        }
        for (column, name) in classes.enumerated() {
            let x = left + (Double(column) + 0.5) * cell, y = top + side + 10
            svg += "<text x=\"\(f(x))\" y=\"\(f(y))\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"end\" transform=\"rotate(-40 \(f(x)) \(f(y)))\">\(escapeHTML(name))</text>"
        }
        svg += text("predicted class", x: left + side / 2, y: height - 6, anchor: "middle")
        svg += "<text x=\"12\" y=\"\(f(top + side / 2))\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f(top + side / 2)))\">true class</text>"
        return svg + "</svg>"
    }

    /// Accuracy against mean confidence per bin, with the diagonal of perfect calibration; each
    /// bar spans its bin and is labelled with its image count.
    static func reliabilityDiagram(_ calibration: Calibration) -> String {
        let plot = PlotArea(left: 60, top: 20, width: 340, height: 300, x: 0...1, y: 0...1)
        var svg = open(width: 420, height: 370, title: "Reliability diagram")
        svg += plot.axes(xTicks: stride(from: 0, through: 1, by: 0.2).map { $0 }, yTicks: stride(from: 0, through: 1, by: 0.2).map { $0 },
                         xLabel: "confidence (top probability)", yLabel: "accuracy")
        for bin in calibration.bins {
            guard let accuracy = bin.accuracy else { continue }
            let x0 = plot.px(bin.lower), x1 = plot.px(bin.upper), y = plot.py(accuracy)
            svg += "<rect x=\"\(f(x0 + 1))\" y=\"\(f(y))\" width=\"\(f(x1 - x0 - 2))\" height=\"\(f(plot.py(0) - y))\" fill=\"#4a7fb5\" fill-opacity=\"0.8\"><title>\(bin.count) images, accuracy \(percent(accuracy)), mean confidence \(percent(bin.meanConfidence ?? 0))</title></rect>"
            svg += text("\(bin.count)", x: (x0 + x1) / 2, y: y - 4, anchor: "middle", size: 10)
        }
        svg += "<line x1=\"\(f(plot.px(0)))\" y1=\"\(f(plot.py(0)))\" x2=\"\(f(plot.px(1)))\" y2=\"\(f(plot.py(1)))\" stroke=\"#c33\" stroke-dasharray=\"5 4\"/>"
        return svg + "</svg>"
    }

    /// One horizontal bar per row with its confidence interval as an error bar.
    static func intervalBars(_ rows: [(name: String, estimate: Estimate)], xLabel: String) -> String {
        let rowHeight = 30.0
        let plot = PlotArea(left: 230, top: 10, width: 340, height: rowHeight * Double(rows.count), x: 0...1, y: 0...1)
        var svg = open(width: 600, height: plot.height + 60, title: xLabel)
        svg += plot.axes(xTicks: stride(from: 0, through: 1, by: 0.2).map { $0 }, yTicks: [], xLabel: xLabel, yLabel: "")
        for (index, row) in rows.enumerated() {
            let middle = plot.top + (Double(index) + 0.5) * rowHeight
            svg += text(row.name, x: plot.left - 8, y: middle + 4, anchor: "end")
            guard let value = row.estimate.value else {
                svg += text("undefined", x: plot.left + 4, y: middle + 4, anchor: "start", fill: "#888")
                continue
            }
            svg += "<rect x=\"\(f(plot.left))\" y=\"\(f(middle - 9))\" width=\"\(f(plot.px(value) - plot.left))\" height=\"18\" fill=\"#4a7fb5\"><title>\(escapeHTML(row.name)): \(f(value, digits: 3))</title></rect>"
            if let lower = row.estimate.lower, let upper = row.estimate.upper {
                let x0 = plot.px(lower), x1 = plot.px(upper)
                svg += "<path d=\"M\(f(x0)) \(f(middle))H\(f(x1))M\(f(x0)) \(f(middle - 6))v12M\(f(x1)) \(f(middle - 6))v12\" stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"/>"
            }
        }
        return svg + "</svg>"
    }

    /// Lines of `(epoch, value)` points, one per named series, over `yRange` (else 0 to just
    /// above the largest value), with a labelled dashed vertical line at each marker.
    static func lineChart(
        title: String, yLabel: String, yRange: ClosedRange<Double>? = nil,
        series: [(name: String, color: String, points: [(Double, Double)])], markers: [(x: Double, label: String)] = []
    ) -> String {
        let all = series.flatMap(\.points)
        let xs = all.map(\.0), ys = all.map(\.1)
        let xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, xMin + 1)
        let yMin = yRange?.lowerBound ?? min(ys.min() ?? 0, 0)
        let yMax = yRange?.upperBound ?? max(ys.max() ?? 1, 1e-9) * 1.05
        let plot = PlotArea(left: 60, top: 30, width: 340, height: 220, x: xMin...xMax, y: yMin...yMax)
        var svg = open(width: 420, height: 300, title: title)
        svg += text(title, x: plot.left, y: 14, anchor: "start", weight: "bold")
        svg += plot.axes(xTicks: ticks(xMin...xMax, integers: true), yTicks: ticks(yMin...yMax, integers: false),
                         xLabel: "epoch", yLabel: yLabel)
        for marker in markers {
            let x = plot.px(marker.x)
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(plot.top))\" x2=\"\(f(x))\" y2=\"\(f(plot.top + plot.height))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
            svg += text(marker.label, x: x + 3, y: plot.top + plot.height - 6, anchor: "start", fill: "#666", size: 10)
        }
        for (index, line) in series.enumerated() {
            let path = line.points.map { "\(f(plot.px($0.0))),\(f(plot.py($0.1)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"/>"
            for point in line.points {
                svg += "<circle cx=\"\(f(plot.px(point.0)))\" cy=\"\(f(plot.py(point.1)))\" r=\"2.5\" fill=\"\(line.color)\"/>"
            }
            // The legend sits above the plot's right edge, clear of the lines.
            let legendX = plot.left + plot.width - 60 * Double(series.count - index)
            svg += "<rect x=\"\(f(legendX))\" y=\"\(f(plot.top - 12))\" width=\"12\" height=\"4\" fill=\"\(line.color)\"/>"
            svg += text(line.name, x: legendX + 16, y: plot.top - 6, anchor: "start")
        }
        return svg + "</svg>"
    }

    // MARK: - Pieces

    static func open(width: Double, height: Double, title: String) -> String {
        "<svg width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\"><title>\(escapeHTML(title))</title>"
    }

    static func text(_ content: String, x: Double, y: Double, anchor: String, fill: String = "#222", weight: String = "normal", size: Int = 12) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-family=\"sans-serif\" font-size=\"\(size)\" font-weight=\"\(weight)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(escapeHTML(content))</text>"
    }

    /// White at 0 to dark blue at 1.
    static func blue(_ share: Double) -> String {
        let t = min(max(share, 0), 1)
        func channel(_ from: Double, _ to: Double) -> Int { Int((from + (to - from) * t).rounded()) }
        return "rgb(\(channel(255, 31)),\(channel(255, 78)),\(channel(255, 140)))"
    }

    /// About five round tick values covering `range`.
    static func ticks(_ range: ClosedRange<Double>, integers: Bool) -> [Double] {
        let span = range.upperBound - range.lowerBound
        let rough = span / 5, magnitude = pow(10, (log10(rough)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? rough
        if integers { step = max(step.rounded(.up), 1) }
        let first = (range.lowerBound / step).rounded(.up) * step
        return stride(from: first, through: range.upperBound + step * 1e-9, by: step).map { $0 }
    }
}

/// A rectangle of the SVG canvas mapped onto data ranges.
struct PlotArea {
    let left: Double, top: Double, width: Double, height: Double
    let x: ClosedRange<Double>, y: ClosedRange<Double>

    func px(_ value: Double) -> Double { left + (value - x.lowerBound) / (x.upperBound - x.lowerBound) * width }
    func py(_ value: Double) -> Double { top + height - (value - y.lowerBound) / (y.upperBound - y.lowerBound) * height }

    /// The frame, grid lines and tick labels, and the axis titles.
    func axes(xTicks: [Double], yTicks: [Double], xLabel: String, yLabel: String) -> String {
        var svg = "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"none\" stroke=\"#999\"/>"
        for tick in xTicks {
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(top))\" x2=\"\(f(px(tick)))\" y2=\"\(f(top + height))\" stroke=\"#e4e4e4\"/>"
            svg += SVGCharts.text(tickLabel(tick), x: px(tick), y: top + height + 15, anchor: "middle", size: 11)
        }
        for tick in yTicks {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left + width))\" y2=\"\(f(py(tick)))\" stroke=\"#e4e4e4\"/>"
            svg += SVGCharts.text(tickLabel(tick), x: left - 6, y: py(tick) + 4, anchor: "end", size: 11)
        }
        svg += SVGCharts.text(xLabel, x: left + width / 2, y: top + height + 34, anchor: "middle")
        if !yLabel.isEmpty {
            let cx = left - 44, cy = top + height / 2
            svg += "<text x=\"\(f(cx))\" y=\"\(f(cy))\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(cx)) \(f(cy)))\">\(escapeHTML(yLabel))</text>"
        }
        return svg
    }

    private func tickLabel(_ value: Double) -> String {
        value == value.rounded() && abs(value) >= 1 ? String(Int(value)) : f(value, digits: 2)
    }
}

/// A number for SVG attributes and labels, with at most `digits` decimals.
func f(_ value: Double, digits: Int = 1) -> String {
    var text = String(format: "%.\(digits)f", value)
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
}

/// `value` as a percentage with one decimal (`87.5%`).
func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

/// Text made safe inside HTML and SVG elements and attribute values.
func escapeHTML(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.append(character)
        }
    }
    return escaped
}
