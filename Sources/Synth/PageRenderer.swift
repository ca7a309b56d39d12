import ReportFormat

/// Where one lead's trace lies on the unwarped page, in pixels.
struct PanelPlacement {
    let lead: Lead
    /// The part of the 10-s signal shown, in seconds.
    let startTime, duration: Double
    /// The box the trace is expected in: its column, and half a row pitch above and below the baseline.
    let left, top, right, bottom: Double
    let baselineY: Double
}

/// Draws a report page: grid, calibration pulses, the twelve 2.5-s leads and the rhythm strip,
/// lead labels, and the header and footer text.
struct PageRenderer {
    let layout: PageLayout
    let style: PageStyle

    /// The page for `signal`, and where each lead went.
    func render(_ signal: ECGSignal, heartRate: Int) -> (FloatImage, [PanelPlacement]) {
        var page = FloatImage(width: layout.width, height: layout.height, fill: style.paperColour)
        var grid = CoverageMask(width: layout.width, height: layout.height)
        drawGrid(into: &grid)
        page.composite(grid, colour: style.gridColour, opacity: style.grid == .dotted ? 0.8 : 0.6)
        var border = CoverageMask(width: layout.width, height: layout.height)
        drawFrame(into: &border)
        page.composite(border, colour: style.borderColour)

        var ink = CoverageMask(width: layout.width, height: layout.height)
        let panels = placements()
        for panel in panels { drawTrace(signal[panel.lead], panel, into: &ink) }
        for row in 0..<4 { drawPulse(row: row, into: &ink) }
        drawSeparatorsAndLabels(panels, into: &ink)
        drawHeader(heartRate: heartRate, into: &ink)
        page.composite(ink, colour: style.inkColour)
        return (page, panels)
    }

    /// The thirteen panels: three rows of four 2.5-s leads, then the 10-s rhythm strip.
    func placements() -> [PanelPlacement] {
        let half = ReportGeometry.rowPitch / 2
        var panels: [PanelPlacement] = []
        for (row, leads) in PageLayout.panelLeads.enumerated() {
            let baseline = ReportGeometry.baseline(row: row)
            for (column, lead) in leads.enumerated() {
                let left = ReportGeometry.traceLeft + Double(column) * ReportGeometry.columnWidth
                panels.append(PanelPlacement(
                    lead: lead, startTime: 2.5 * Double(column), duration: 2.5,
                    left: layout.x(left), top: layout.y(baseline - half),
                    right: layout.x(left + ReportGeometry.columnWidth), bottom: layout.y(baseline + half), baselineY: layout.y(baseline)))
            }
        }
        let baseline = ReportGeometry.baseline(row: 3)
        panels.append(PanelPlacement(
            lead: style.rhythmLead, startTime: 0, duration: ECGSignal.duration,
            left: layout.x(ReportGeometry.traceLeft), top: layout.y(baseline - half),
            right: layout.x(ReportGeometry.traceLeft + 4 * ReportGeometry.columnWidth),
            bottom: layout.y(min(baseline + half, ReportGeometry.gridTop + ReportGeometry.gridHeight)), baselineY: layout.y(baseline)))
        return panels
    }

    // MARK: - Parts of the page

    private func drawGrid(into mask: inout CoverageMask) {
        let s = layout.scale
        let columns = Int(ReportGeometry.gridWidth), rows = Int(ReportGeometry.gridHeight)
        let x0 = ReportGeometry.gridLeft, y0 = ReportGeometry.gridTop
        switch style.grid {
        case .dotted:
            // A dot at every millimetre; the 5-mm lines dotted at every half millimetre.
            let dot = max(0.25 * s, 0.8)
            for j in 0...(rows * 2) {
                for i in 0...(columns * 2) {
                    guard i % 10 == 0 || j % 10 == 0 || (i % 2 == 0 && j % 2 == 0) else { continue }
                    let cx = layout.x(x0 + Double(i) / 2), cy = layout.y(y0 + Double(j) / 2)
                    mask.fillRectangle(x0: cx - dot / 2, y0: cy - dot / 2, x1: cx + dot / 2, y1: cy + dot / 2)
                }
            }
        case .lined:
            for i in 0...columns {
                let x = layout.x(x0 + Double(i))
                mask.fillRectangle(x0: x - 0.04 * s, y0: layout.y(y0), x1: x + 0.04 * s, y1: layout.y(y0 + Double(rows)),
                                   strength: i % 5 == 0 ? 1 : 0.55)
                if i % 5 == 0 { mask.fillRectangle(x0: x - 0.09 * s, y0: layout.y(y0), x1: x + 0.09 * s, y1: layout.y(y0 + Double(rows))) }
            }
            for j in 0...rows {
                let y = layout.y(y0 + Double(j))
                mask.fillRectangle(x0: layout.x(x0), y0: y - 0.04 * s, x1: layout.x(x0 + Double(columns)), y1: y + 0.04 * s,
                                   strength: j % 5 == 0 ? 1 : 0.55)
                if j % 5 == 0 { mask.fillRectangle(x0: layout.x(x0), y0: y - 0.09 * s, x1: layout.x(x0 + Double(columns)), y1: y + 0.09 * s) }
            }
        }
    }

    private func drawFrame(into mask: inout CoverageMask) {
        let w = max(0.3 * layout.scale, 1)
        let (l, t) = (layout.x(ReportGeometry.gridLeft), layout.y(ReportGeometry.gridTop))
        let (r, b) = (layout.x(ReportGeometry.gridLeft + ReportGeometry.gridWidth), layout.y(ReportGeometry.gridTop + ReportGeometry.gridHeight))
        for (a, c) in [((l, t), (r, t)), ((r, t), (r, b)), ((r, b), (l, b)), ((l, b), (l, t))] {
            mask.strokeSegment(a.0, a.1, c.0, c.1, thickness: w)
        }
    }

    private func drawTrace(_ samples: [Float], _ panel: PanelPlacement, into mask: inout CoverageMask) {
        let first = Int(panel.startTime * ECGSignal.sampleRate)
        let count = Int(panel.duration * ECGSignal.sampleRate)
        let dx = layout.pixelsPerSecond / ECGSignal.sampleRate, gain = layout.pixelsPerMillivolt
        let points = (0..<count).map { k in (x: panel.left + Double(k) * dx, y: panel.baselineY - Double(samples[first + k]) * gain) }
        mask.strokePolyline(points, thickness: style.traceWidth * layout.scale)
    }

    /// The 1-mV calibration pulse at the start of row `row`.
    private func drawPulse(row: Int, into mask: inout CoverageMask) {
        let base = ReportGeometry.baseline(row: row), top = base - ReportGeometry.millimetresPerMillivolt
        let l = ReportGeometry.pulseLeft
        let mm = [(l, base), (l + 0.8, base), (l + 0.8, top), (l + 3.2, top), (l + 3.2, base), (l + 4.0, base)]
        mask.strokePolyline(mm.map { (x: layout.x($0.0), y: layout.y($0.1)) }, thickness: style.traceWidth * layout.scale)
    }

    /// The lead-change marks between columns, and each lead's name above its trace's start.
    private func drawSeparatorsAndLabels(_ panels: [PanelPlacement], into mask: inout CoverageMask) {
        let thickness = 0.3 * layout.scale
        for column in 1...3 {
            let x = layout.x(ReportGeometry.traceLeft + Double(column) * ReportGeometry.columnWidth)
            mask.strokeSegment(x, layout.y(ReportGeometry.baseline(row: 0) - 6.3), x, layout.y(ReportGeometry.baseline(row: 2) + 4.7),
                               thickness: thickness)
        }
        for panel in panels {
            text(panel.lead.rawValue, x: (panel.left - layout.originX) / layout.scale + 0.4,
                 y: (panel.baselineY - layout.originY) / layout.scale - 1.6, size: 2.3, into: &mask)
        }
    }

    private func drawHeader(heartRate: Int, into mask: inout CoverageMask) {
        let title = "ECG  REPORT", titleSize = 3.9
        let titleWidth = StrokeFont.width(of: title, capHeight: titleSize)
        text(title, x: 144.1 - titleWidth / 2, y: 7.4, size: titleSize, weight: 0.3, into: &mask)
        let line1: [(Double, String)] = [(8.9, "ID : \(style.patientNumber)"), (40.9, "Years"), (56.9, style.sex), (78.8, "cm"),
                                         (97.3, "kg"), (118.9, "/"), (122, "mmHg"), (139.3, "Race:Unknown"),
                                         (169.5, "Room No.:"), (193.6, "Department:")]
        for (x, words) in line1 { text(words, x: x, y: 11.9, size: 2.3, into: &mask) }
        text("Exam.Room:", x: 8.9, y: 16, size: 2.3, into: &mask)
        text("Medication:", x: 35.3, y: 16, size: 2.3, into: &mask)
        mask.fillRectangle(x0: layout.x(8.9), y0: layout.y(17.1), x1: layout.x(273.7), y1: layout.y(17.55))
        mask.fillRectangle(x0: layout.x(8.9), y0: layout.y(18.0), x1: layout.x(273.7), y1: layout.y(18.25))
        text("Diagnosis Information:", x: 8.9, y: 21.3, size: 2.3, into: &mask)
        for (y, words) in [(25.7, "Technician :"), (30.0, "Ref-Phys. :"), (34.1, "Report Confirmed by:")] {
            text(words, x: 197.7, y: y, size: 2.3, into: &mask)
        }
        // Footer: filter, speed, gain, format, heart rate; synthetic pages say so where the device's name goes.
        text("0.67~25Hz  AC50  25mm/s  10mm/mV  4*2.5s+1r  ♥\(heartRate)  SYNTHETIC  ECGLens", x: 8.9, y: 197.3, size: 2.0,
             into: &mask)
        text(style.timestamp, x: 228, y: 197.3, size: 2.0, into: &mask)
    }

    /// Text with its baseline starting at `(x, y)` mm, capitals `size` mm tall.
    private func text(_ string: String, x: Double, y: Double, size: Double, weight: Double = 0.2, into mask: inout CoverageMask) {
        StrokeFont.draw(string, x: layout.x(x), y: layout.y(y), capHeight: size * layout.scale,
                        thickness: weight * layout.scale, into: &mask)
    }
}
