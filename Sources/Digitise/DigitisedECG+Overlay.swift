import ImageIO
import ReportFormat

/// A picture to check the fit by eye: the page with every digitised trace drawn over it.
extension DigitisedECG {
    /// `page` (the image digitised) with each lead's samples drawn in red where they were read,
    /// and each panel's baseline start marked in blue.
    public func overlay(on page: RGBImage) -> RGBImage {
        var pixels = page.pixels
        let width = page.width, height = page.height
        func plot(_ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let o = (y * width + x) * 3
            (pixels[o], pixels[o + 1], pixels[o + 2]) = colour
        }
        func line(_ a: (Double, Double), _ b: (Double, Double), _ colour: (UInt8, UInt8, UInt8)) {
            let steps = max(1, Int(max(abs(b.0 - a.0), abs(b.1 - a.1)).rounded(.up)))
            for s in 0...steps {
                let t = Double(s) / Double(steps)
                plot(Int((a.0 + (b.0 - a.0) * t).rounded()), Int((a.1 + (b.1 - a.1) * t).rounded()), colour)
            }
        }
        let red: (UInt8, UInt8, UInt8) = (230, 20, 20), blue: (UInt8, UInt8, UInt8) = (20, 60, 230)
        for panel in layout.panels {
            let lead = panel.durationSeconds > ReportGeometry.panelSeconds ? rhythm : leads.first { $0.name == panel.lead }
            guard let lead else { continue }
            let step = layout.pixelsPerSecond / sampleRate
            var previous: (Double, Double)?
            for (k, v) in lead.samples.enumerated() {
                let point = (panel.left + Double(k) * step, panel.baselineY - Double(v) * panel.pixelsPerMillivolt)
                if let previous { line(previous, point, red) }
                previous = point
            }
            line((panel.left, panel.baselineY - 6), (panel.left, panel.baselineY + 6), blue)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
