/// Follows one lead's trace across its panel column by column and turns it into millivolts.
///
/// In each pixel column the dark ink forms vertical runs: the trace, and sometimes a neighbour's
/// tall wave, a lead label or a separator line. The follower keeps the run nearest to where the
/// trace was in the previous column (starting at the baseline), skips runs as tall as the panel
/// (separators) and bridges columns with no suitable run (gaps, breaks in a faint line). A tall run
/// is a steep stroke: the trace passes through both its ends, entering at the end nearer the
/// previous column, so peaks keep their full height.
struct TraceFollower {
    let map: InkMap
    /// The trace's line thickness in pixels.
    let thickness: Double

    /// The trace's centre line in `panel`: points (x, y) in pixels, in order of x, and the fraction
    /// of the panel's columns where a trace run was found.
    func follow(_ panel: PanelBox) -> (points: [(x: Double, y: Double)], coverage: Double) {
        let runs = chooseRuns(panel)
        let found = runs.filter { $0.run != nil }.count
        guard found > 0 else { return ([], 0) }
        // Where the trace enters and leaves each column: a tall run is a steep stroke, entered at the
        // end nearer the previous column's trace and left at the end nearer the next one's; when
        // both are the same end the stroke went out and back (a peak narrower than a column).
        let known = runs.compactMap { r in r.run.map { (x: r.x, top: Double($0.top) + (thickness - 1) / 2, bottom: Double($0.bottom) - (thickness - 1) / 2) } }
        var points: [(x: Double, y: Double)] = []
        for (k, column) in known.enumerated() {
            let x = Double(column.x)
            guard column.bottom - column.top > 0.8 * thickness else {
                points.append((x, (column.top + column.bottom) / 2))
                continue
            }
            let before = k > 0 ? (known[k - 1].top + known[k - 1].bottom) / 2 : (column.top + column.bottom) / 2
            let after = k + 1 < known.count ? (known[k + 1].top + known[k + 1].bottom) / 2 : before
            func nearer(_ y: Double) -> Double { abs(column.top - y) < abs(column.bottom - y) ? column.top : column.bottom }
            let enter = nearer(before), exit = nearer(after)
            if enter == exit {
                let far = enter == column.top ? column.bottom : column.top
                points += [(x - 0.34, enter), (x, far), (x + 0.34, exit)]
            } else {
                points += [(x - 0.25, enter), (x + 0.25, exit)]
            }
        }
        return (points, Double(found) / Double(runs.count))
    }

    /// For each pixel column of the panel, the ink run taken as the trace (nil where none fits).
    private func chooseRuns(_ panel: PanelBox) -> [(x: Int, run: (top: Int, bottom: Int)?)] {
        let x0 = max(0, Int(panel.left.rounded())), x1 = min(map.width - 1, Int(panel.right.rounded()) - 1)
        let y0 = max(0, Int(panel.top.rounded())), y1 = min(map.height - 1, Int(panel.bottom.rounded()))
        guard x0 < x1, y0 < y1 else { return [] }
        let tallest = Double(y1 - y0) * 0.6
        let maximumJump = Double(y1 - y0) * 0.3
        var previous = panel.baselineY
        var chosen: [(x: Int, run: (top: Int, bottom: Int)?)] = []
        for x in x0...x1 {
            var best: (top: Int, bottom: Int, distance: Double)?
            var y = y0
            while y <= y1 {
                guard map.isInk(x, y) else { y += 1; continue }
                let start = y
                while y <= y1 && map.isInk(x, y) { y += 1 }
                let top = start, bottom = y - 1
                if Double(bottom - top + 1) > tallest { continue }
                let distance = previous < Double(top) ? Double(top) - previous : previous > Double(bottom) ? previous - Double(bottom) : 0
                if distance < (best?.distance ?? .infinity) { best = (top, bottom, distance) }
            }
            guard let run = best, run.distance <= maximumJump else { chosen.append((x, nil)); continue }
            chosen.append((x, (run.top, run.bottom)))
            // The next column continues from this one's end nearer where the trace was heading.
            let upper = Double(run.top), lower = Double(run.bottom)
            previous = abs(upper - previous) < abs(lower - previous) ? (Double(run.bottom - run.top) > 1.8 * thickness ? lower : (upper + lower) / 2)
                                                                     : (Double(run.bottom - run.top) > 1.8 * thickness ? upper : (upper + lower) / 2)
        }
        return chosen
    }

    /// The trace resampled at `rate` Hz over the panel's duration, in millivolts; samples beyond
    /// the first or last point repeat it, and gaps are bridged linearly.
    static func resample(_ points: [(x: Double, y: Double)], panel: PanelBox, pixelsPerSecond: Double, rate: Double) -> [Float] {
        let count = Int((panel.durationSeconds * rate).rounded())
        guard !points.isEmpty else { return [Float](repeating: 0, count: count) }
        var out = [Float](repeating: 0, count: count)
        var k = 0
        for n in 0..<count {
            let x = panel.left + Double(n) / rate * pixelsPerSecond
            while k + 1 < points.count && points[k + 1].x <= x { k += 1 }
            let y: Double
            if x <= points[0].x { y = points[0].y } else if k + 1 >= points.count { y = points[points.count - 1].y } else {
                let a = points[k], b = points[k + 1]
                y = b.x > a.x ? a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x) : a.y
            }
            out[n] = Float((panel.baselineY - y) / panel.pixelsPerMillivolt)
        }
        return out
    }

    /// The typical line thickness on the page: the most common height of short vertical ink runs
    /// in the trace rows (flat stretches of trace are crossed by a run as tall as the line is thick).
    static func thickness(in map: InkMap, panels: [PanelBox]) -> Double {
        var histogram = [Int](repeating: 0, count: 16)
        for panel in panels {
            let y0 = max(0, Int(panel.top)), y1 = min(map.height - 1, Int(panel.bottom))
            for x in stride(from: max(0, Int(panel.left)), to: min(map.width, Int(panel.right)), by: 3) {
                var y = y0
                while y <= y1 {
                    guard map.isInk(x, y) else { y += 1; continue }
                    let start = y
                    while y <= y1 && map.isInk(x, y) { y += 1 }
                    if y - start < histogram.count { histogram[y - start] += 1 }
                }
            }
        }
        let mode = histogram.indices.dropFirst().max { histogram[$0] < histogram[$1] } ?? 2
        return Double(max(mode, 1))
    }
}
