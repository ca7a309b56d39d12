/// The printed geometry of the EDAN SE-3 "ECG REPORT" page of the Khan et al. (2021) data set,
/// in millimetres from the page's top-left corner: a 281 x 200 mm page, 25 mm/s and 10 mm/mV,
/// the 3x4+1 layout (three rows of four 2.5-s leads, then a 10-s rhythm strip).
///
/// The one definition of the layout: `Synth.PageLayout` draws pages with it, `Digitise` looks
/// for each part of a page with it once the grid has been found.
public enum ReportGeometry {
    /// The page's size.
    public static let pageWidth = 281.2, pageHeight = 199.75
    /// Paper speed and gain printed on the page.
    public static let millimetresPerSecond = 25.0, millimetresPerMillivolt = 10.0
    /// The grid rectangle.
    public static let gridLeft = 8.9, gridTop = 36.1, gridWidth = 267.3, gridHeight = 156.5
    /// Where every trace starts, and the width of one 2.5-s column.
    public static let traceLeft = 19.3, columnWidth = 62.5
    /// The baseline of the first row, and the distance between rows.
    public static let firstBaseline = 59.7, rowPitch = 38.1
    /// The calibration pulse's left foot; it rises 10 mm over a 2.4-mm wide top, 4 mm in all.
    public static let pulseLeft = 12.7, pulseWidth = 4.0
    /// The leads of the three 2.5-s rows, left to right (the standard 3x4 format).
    public static let panelLeads: [[String]] = [["I", "aVR", "V1", "V4"], ["II", "aVL", "V2", "V5"], ["III", "aVF", "V3", "V6"]]
    /// The twelve leads in the standard order.
    public static let leads = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    /// Seconds shown per 2.5-s panel and on the rhythm strip.
    public static let panelSeconds = 2.5, stripSeconds = 10.0

    /// The baseline of row `row` (0–3), in millimetres.
    public static func baseline(row: Int) -> Double { firstBaseline + Double(row) * rowPitch }
}
