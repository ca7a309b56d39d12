import Digitise
import ImageIO

/// Trace-measurement features of one report page: the digitiser's `Measurements.featureVector`
/// (rate, RR variability, ectopic beats, intervals, axis, and per lead ST deviation, Q depth and
/// width, R, S and T amplitudes) behind two columns saying how well the page was read. The CLI
/// caches them for every page of a data set (`ecg features --kind trace`, for `ecg cv` and
/// `ecg fit-fusion`); the fused model (``TraceFusion``) computes them for the page it classifies.
/// One definition for both, so that the head is fitted on exactly the columns it is served.
///
/// Layout (`featureNames`, the same for every page): `digitised` (1, or 0 for a page the
/// digitiser refused), `readable_fraction` (the share of the 13 traces read with enough coverage),
/// then `Measurements.featureNames`. A refused page is all zeros (its `digitised` 0 is the
/// missing-value indicator; the measurements' own missing values are 0 with an indicator too).
public enum TraceFeatures {
    /// The method name stored as a feature cache's `architecture`.
    public static let method = "digitise"
    /// Bump when the columns or their meaning change: a fused model fitted on other columns is refused.
    public static let version = "trace-features/2"

    /// The column names, in order.
    public static let featureNames = ["digitised", "readable_fraction"] + Measurements.featureNames

    /// The features of one decoded page, or the refused-page row and the reason.
    public static func row(_ image: RGBImage) -> (values: [Float], refusal: String?) {
        do {
            let ecg = try Digitiser.digitise(image)
            let traces = ecg.leads + [ecg.rhythm]
            let readable = Double(traces.filter(\.readable).count) / Double(traces.count)
            let values = [1, readable] + Measurements(ecg).featureVector
            // A non-finite measurement would poison the standardisation: count it as missing (0).
            return (values.map { $0.isFinite ? Float($0) : 0 }, nil)
        } catch {
            return (refusedRow, error.description)
        }
    }

    /// What a refused page contributes: zeros, `digitised` 0.
    public static var refusedRow: [Float] { [Float](repeating: 0, count: featureNames.count) }
}
