import ReportFormat

/// A report page (`ReportGeometry`: the EDAN SE-3 "ECG REPORT" layout of the Khan et al. (2021)
/// pages) placed on an image of a given pixel size: millimetres to pixels.
public struct PageLayout: Sendable {
    /// The leads of the three 2.5-s rows, column by column, as `Lead`s (`ReportGeometry.panelLeads`).
    public static let panelLeads: [[Lead]] = ReportGeometry.panelLeads.map { $0.map { Lead(rawValue: $0)! } }

    /// The pixel size of the image.
    public let width, height: Int
    /// Pixels per millimetre, the same across and down.
    public let scale: Double
    /// The page's top-left corner in pixels (non-zero when the image's shape is not the page's).
    let originX, originY: Double

    /// The layout of a `width x height` pixel image; the page is scaled to fit and centred.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        scale = min(Double(width) / ReportGeometry.pageWidth, Double(height) / ReportGeometry.pageHeight)
        originX = (Double(width) - scale * ReportGeometry.pageWidth) / 2
        originY = (Double(height) - scale * ReportGeometry.pageHeight) / 2
    }

    /// Pixel coordinates of a point given in millimetres.
    func x(_ mm: Double) -> Double { originX + mm * scale }
    func y(_ mm: Double) -> Double { originY + mm * scale }

    /// Pixels per second of signal, and per millivolt.
    public var pixelsPerSecond: Double { ReportGeometry.millimetresPerSecond * scale }
    public var pixelsPerMillivolt: Double { ReportGeometry.millimetresPerMillivolt * scale }
}
