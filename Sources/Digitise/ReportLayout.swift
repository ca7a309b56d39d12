import ReportFormat

/// One lead's place on the page in pixels: the columns its trace covers, the rows it may reach,
/// its 0-mV baseline and its gain.
public struct PanelBox: Codable, Equatable, Sendable {
    /// The lead printed there; for the rhythm strip, the lead it was matched to (see `Digitiser`).
    public var lead: String
    /// The seconds of the 10-s recording shown.
    public let startSeconds, durationSeconds: Double
    /// The trace's columns (`left` is time `startSeconds`) and the rows searched for it.
    public let left, right, top, bottom: Double
    /// The 0-mV line, from the foot of the row's calibration pulse.
    public let baselineY: Double
    /// Pixels per millivolt, from the height of the row's calibration pulse.
    public let pixelsPerMillivolt: Double
}

/// The 3x4+1 report layout found on one page: the grid, the four trace rows with their
/// calibration pulses, and the thirteen panels.
public struct ReportLayout: Sendable {
    /// Grid rectangle (pixels) and scale.
    let grid: GridScale
    /// Pixels per millimetre (the mean of the two grid periods), per second at 25 mm/s.
    public var pixelsPerMillimetre: Double { (grid.pixelsPerMillimetreX + grid.pixelsPerMillimetreY) / 2 }
    /// Pixels per second, from the spacing of the lead-change marks (2.5 s apart): recorders do
    /// not always print the grid at exactly the paper speed's scale (the EDAN pages' grid is about
    /// 1 % finer than their traces), so time is measured on the traces' own marks.
    public var pixelsPerSecond: Double { (panels[1].left - panels[0].left) / ReportGeometry.panelSeconds }
    /// How many of the three lead-change marks were found (else the grid's scale places the columns).
    public let columnMarksFound: Int
    /// Whether each row's calibration pulse was found (else the printed 10 mm/mV is assumed).
    public let pulsesFound: [Bool]
    /// Each row's gain in millimetres per millivolt, as measured from its pulse.
    public let millimetresPerMillivolt: [Double]
    /// The twelve 2.5-s panels (rows top to bottom, columns left to right), then the rhythm strip.
    public internal(set) var panels: [PanelBox]
    /// The grid rectangle in pixels: left, top, right, bottom.
    public var gridRectangle: [Double] { [grid.left, grid.top, grid.right, grid.bottom] }

    /// Reads the layout of the page in `map`.
    ///
    /// - Throws: `DigitiseError` when there is no grid, or the trace rows are not the report's four.
    static func read(_ map: InkMap) throws(DigitiseError) -> ReportLayout {
        let grid = try GridScale.find(in: map)
        try checkRows(map, grid)
        var found: [Bool] = [], gains: [Double] = [], baselines: [Double] = []
        for row in 0..<4 {
            let expected = grid.y(ReportGeometry.baseline(row: row))
            if let pulse = CalibrationPulse.find(in: map, grid: grid, baselineY: expected) {
                found.append(true)
                gains.append(pulse.height / grid.pixelsPerMillimetreY)
                baselines.append(pulse.footY)
            } else {
                found.append(false)
                gains.append(ReportGeometry.millimetresPerMillivolt)
                baselines.append(expected)
            }
        }
        // The recorder prints every pulse alike: the rows share the mean of the pulses that agree
        // with their median (a stray mark does not), which also averages out pixel rounding.
        let measured = (0..<4).filter { found[$0] }.map { gains[$0] }
        if !measured.isEmpty {
            let median = measured.sorted()[measured.count / 2]
            let agreeing = measured.filter { abs($0 / median - 1) < 0.1 }
            let mean = agreeing.reduce(0, +) / Double(agreeing.count)
            gains = [Double](repeating: mean, count: 4)
        }
        let pitch = ReportGeometry.rowPitch * grid.pixelsPerMillimetreY
        let columns = ColumnMarks.find(in: map, grid: grid, baselines: baselines)
        var panels: [PanelBox] = []
        func panel(_ lead: String, row: Int, start: Double, duration: Double, columns span: Double) -> PanelBox {
            let left = columns.origin + start / ReportGeometry.panelSeconds * columns.width
            return PanelBox(
                lead: lead, startSeconds: start, durationSeconds: duration,
                left: left, right: left + span * columns.width,
                top: max(grid.top, baselines[row] - 0.62 * pitch), bottom: min(grid.bottom - 1, baselines[row] + 0.62 * pitch),
                baselineY: baselines[row], pixelsPerMillivolt: gains[row] * grid.pixelsPerMillimetreY)
        }
        for (row, leads) in ReportGeometry.panelLeads.enumerated() {
            for (column, lead) in leads.enumerated() {
                panels.append(panel(lead, row: row, start: ReportGeometry.panelSeconds * Double(column),
                                    duration: ReportGeometry.panelSeconds, columns: 1))
            }
        }
        panels.append(panel("II", row: 3, start: 0, duration: ReportGeometry.stripSeconds, columns: 4))
        return ReportLayout(grid: grid, columnMarksFound: columns.found, pulsesFound: found, millimetresPerMillivolt: gains,
                            panels: panels)
    }

    /// Checks that the ink inside the grid lies in the report's four trace rows: the rows where
    /// traces run are the densest, and there must be one near each of the four baselines and no
    /// other row as dense between them (a 6x2 or 12x1 page has six or twelve).
    private static func checkRows(_ map: InkMap, _ grid: GridScale) throws(DigitiseError) {
        let x0 = Int(grid.x(ReportGeometry.traceLeft)), x1 = Int(grid.right) - 2
        let y0 = Int(grid.top) + 2, y1 = Int(grid.bottom) - 2
        guard x0 < x1, y0 < y1 else { throw .unsupportedLayout("the grid leaves no room for traces") }
        var profile = [Double](repeating: 0, count: y1 - y0)
        for y in y0..<y1 {
            var count = 0
            for x in x0..<x1 where map.isInk(x, y) { count += 1 }
            profile[y - y0] = Double(count)
        }
        let radius = max(1, Int(1.5 * grid.pixelsPerMillimetreY))
        let smooth = boxSmoothed(profile, radius: radius)
        guard let peak = smooth.max(), peak > 0 else { throw .traceNotFound("there is no dark ink inside the grid") }
        // Local maxima above a third of the largest, at least 12 mm apart.
        let separation = Int(12 * grid.pixelsPerMillimetreY)
        var rows: [Int] = []
        for i in smooth.indices where smooth[i] > peak / 3 {
            let window = max(0, i - separation)...min(smooth.count - 1, i + separation)
            if window.allSatisfy({ smooth[$0] <= smooth[i] }), rows.last.map({ i - $0 >= separation }) ?? true { rows.append(i) }
        }
        let expected = (0..<4).map { grid.y(ReportGeometry.baseline(row: $0)) - Double(y0) }
        let tolerance = 8 * grid.pixelsPerMillimetreY
        let matched = expected.filter { e in rows.contains { abs(Double($0) - e) < tolerance } }.count
        let extra = rows.filter { r in !expected.contains { abs(Double(r) - $0) < tolerance } }.count
        guard matched >= 3, extra <= 1 else {
            throw .unsupportedLayout("found \(rows.count) trace rows inside the grid, \(matched) of them where the report's four rows are")
        }
    }
}

/// The 1-mV calibration pulse at the start of a row: a 10-mm high, 4-mm wide step.
struct CalibrationPulse {
    /// The pulse's height between the centres of its foot and top lines, in pixels (1 mV).
    let height: Double
    /// The centre of its foot line: the row's 0-mV baseline.
    let footY: Double

    /// Looks for the pulse near `baselineY` in the columns where the report prints it.
    static func find(in map: InkMap, grid: GridScale, baselineY: Double) -> CalibrationPulse? {
        let mm = grid.pixelsPerMillimetreY
        let x0 = max(0, Int(grid.x(ReportGeometry.pulseLeft - 1.5))), x1 = min(map.width - 1, Int(grid.x(ReportGeometry.pulseLeft + ReportGeometry.pulseWidth + 1.5)))
        let y0 = max(0, Int(baselineY - 25 * mm)), y1 = min(map.height - 1, Int(baselineY + 8 * mm))
        guard x0 < x1, y0 < y1 else { return nil }
        // The rising and falling edges: the columns with the longest vertical ink runs.
        var best: (length: Int, top: Int, bottom: Int)?
        for x in x0...x1 {
            var y = y0
            while y <= y1 {
                guard map.isInk(x, y) else { y += 1; continue }
                let start = y
                while y <= y1 && map.isInk(x, y) { y += 1 }
                if y - start > (best?.length ?? 0) { best = (y - start, start, y - 1) }
            }
        }
        guard let edge = best, Double(edge.length) > 4 * mm, Double(edge.length) < 24 * mm else { return nil }
        // The line thickness: the ink run at the pulse's top, midway between its edges.
        let middle = Int(grid.x(ReportGeometry.pulseLeft + ReportGeometry.pulseWidth / 2))
        var thickness = 0
        if middle >= 0, middle < map.width {
            var y = max(0, edge.top - 2)
            while y <= edge.top + Int(2 * mm), y < map.height, !map.isInk(middle, y) { y += 1 }
            while y < map.height, map.isInk(middle, y) { thickness += 1; y += 1 }
        }
        guard thickness > 0, Double(thickness) < 2 * mm else { return nil }
        let height = Double(edge.length - thickness)
        guard abs(Double(edge.bottom) - baselineY) < 6 * mm else { return nil }
        return CalibrationPulse(height: height, footY: Double(edge.bottom) - Double(thickness - 1) / 2)
    }
}

/// The vertical lead-change marks between the 2.5-s columns of the top three rows: where each
/// column of traces starts, and how wide a column (2.5 s) is.
struct ColumnMarks {
    /// The x where the first column's traces start, and the width of one column, in pixels.
    let origin, width: Double
    /// How many of the three marks were found.
    let found: Int

    static func find(in map: InkMap, grid: GridScale, baselines: [Double]) -> ColumnMarks {
        let mm = grid.pixelsPerMillimetreX
        let y0 = max(0, Int(baselines[0] - 4 * mm)), y1 = min(map.height - 1, Int(baselines[2] + 3 * mm))
        var marks: [(column: Double, x: Double)] = []
        for column in 1...3 {
            let expected = grid.x(ReportGeometry.traceLeft + Double(column) * ReportGeometry.columnWidth)
            let x0 = max(0, Int(expected - 4 * mm)), x1 = min(map.width - 1, Int(expected + 4 * mm))
            guard x0 < x1 else { continue }
            let runs = (x0...x1).map { x in longestRun(map, x: x, from: y0, to: y1) }
            guard let longest = runs.max(), Double(longest) > 0.8 * Double(y1 - y0) else { continue }
            let xs = runs.indices.filter { Double(runs[$0]) > 0.9 * Double(longest) }.map { Double(x0 + $0) }
            marks.append((Double(column), xs.reduce(0, +) / Double(xs.count)))
        }
        let fallbackOrigin = grid.x(ReportGeometry.traceLeft), fallbackWidth = ReportGeometry.columnWidth * mm
        switch marks.count {
        case 0:
            return ColumnMarks(origin: fallbackOrigin, width: fallbackWidth, found: 0)
        case 1:
            return ColumnMarks(origin: marks[0].x - marks[0].column * fallbackWidth, width: fallbackWidth, found: 1)
        default:
            // Least-squares line through the marks: x = origin + column * width.
            let n = Double(marks.count)
            let mc = marks.reduce(0) { $0 + $1.column } / n, mx = marks.reduce(0) { $0 + $1.x } / n
            let sxy = marks.reduce(0) { $0 + ($1.column - mc) * ($1.x - mx) }, sxx = marks.reduce(0) { $0 + ($1.column - mc) * ($1.column - mc) }
            let width = sxy / sxx
            guard abs(width / fallbackWidth - 1) < 0.1 else { return ColumnMarks(origin: fallbackOrigin, width: fallbackWidth, found: 0) }
            return ColumnMarks(origin: mx - mc * width, width: width, found: marks.count)
        }
    }

    /// The longest vertical ink run in column `x` between rows `from` and `to`.
    static func longestRun(_ map: InkMap, x: Int, from y0: Int, to y1: Int) -> Int {
        var best = 0, current = 0
        for y in y0...y1 {
            if map.isInk(x, y) { current += 1; best = max(best, current) } else { current = 0 }
        }
        return best
    }
}
