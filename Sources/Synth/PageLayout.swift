/// Where a report's parts lie on the page, in millimetres from the top-left corner, after the
/// EDAN SE-3 "ECG REPORT" pages of the Khan et al. (2021) data set: a 281 x 200 mm page,
/// 25 mm/s and 10 mm/mV, four rows (three of four 2.5-s leads, then a 10-s rhythm strip).
public struct PageLayout: Sendable {
    /// The page's size in millimetres (2213 x 1572 pixels at about 7.87 px/mm, 200 dpi).
    public static let pageWidth = 281.2, pageHeight = 199.75
    /// Paper speed and gain.
    public static let millimetresPerSecond = 25.0, millimetresPerMillivolt = 10.0
    /// The grid's rectangle.
    static let gridLeft = 8.9, gridTop = 36.1, gridWidth = 267.3, gridHeight = 156.5
    /// Where every trace starts, and the width of one 2.5-s column.
    static let traceLeft = 19.3, columnWidth = 62.5
    /// The baseline of the first row, and the distance between rows.
    static let firstBaseline = 59.7, rowPitch = 38.1
    /// The calibration pulse's left foot; it rises 10 mm over a 2.4-mm wide top.
    static let pulseLeft = 12.7
    /// The leads of the three 2.5-s rows, column by column (the standard 3x4 format).
    public static let panelLeads: [[Lead]] = [[.i, .aVR, .v1, .v4], [.ii, .aVL, .v2, .v5], [.iii, .aVF, .v3, .v6]]

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
        scale = min(Double(width) / Self.pageWidth, Double(height) / Self.pageHeight)
        originX = (Double(width) - scale * Self.pageWidth) / 2
        originY = (Double(height) - scale * Self.pageHeight) / 2
    }

    /// Pixel coordinates of a point given in millimetres.
    func x(_ mm: Double) -> Double { originX + mm * scale }
    func y(_ mm: Double) -> Double { originY + mm * scale }

    /// The baseline of row `row` (0–3), in millimetres.
    static func baseline(row: Int) -> Double { firstBaseline + Double(row) * rowPitch }

    /// Pixels per second of signal, and per millivolt.
    public var pixelsPerSecond: Double { Self.millimetresPerSecond * scale }
    public var pixelsPerMillivolt: Double { Self.millimetresPerMillivolt * scale }
}
