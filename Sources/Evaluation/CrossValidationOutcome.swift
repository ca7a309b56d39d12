import Foundation
import Training

/// One recipe's cross-validated figures: what a line of `ecg cv`'s table, `cv.json` and `cv.md` show.
public struct CrossValidationOutcome: Sendable {
    public var features: FeatureCache.Source
    public var recipe: HeadRecipe
    /// The out-of-fold predictions' report (each distinct image once).
    public var report: EvaluationReport

    public init(features: FeatureCache.Source, recipe: HeadRecipe, report: EvaluationReport) {
        (self.features, self.recipe, self.report) = (features, recipe, report)
    }

    /// The figures `cv.json` keeps per recipe.
    public struct Summary: Codable, Sendable {
        public var features: FeatureCache.Source
        public var recipe: HeadRecipe
        public var images: Int
        public var macroF1: Estimate, accuracy: Estimate
        public var expectedCalibrationError: Double
        public var classes: [ClassMetrics]

        enum CodingKeys: String, CodingKey {
            case features, recipe, images, accuracy, classes
            case macroF1 = "macro_f1", expectedCalibrationError = "expected_calibration_error"
        }
    }

    public var summary: Summary {
        Summary(features: features, recipe: recipe, images: report.imageCount, macroF1: report.metrics.macroF1,
                accuracy: report.metrics.accuracy, expectedCalibrationError: report.calibration.expectedCalibrationError,
                classes: report.metrics.classes)
    }

    /// `224 px whole page  avg, l2 0.01, balanced  macro-F1 80.1 % (75.0-84.9)  accuracy ...`.
    public var line: String {
        let m = report.metrics
        return "\(features.summary.padding(toLength: 22, withPad: " ", startingAt: 0)) "
            + "\(recipe.description.padding(toLength: 28, withPad: " ", startingAt: 0)) macro-F1 \(Self.interval(m.macroF1))"
            + "  accuracy \(Self.interval(m.accuracy))  MI recall \(Self.percent(miRecall))"
            + "  ECE \(Self.percent(report.calibration.expectedCalibrationError))"
    }

    /// The Markdown table's header lines.
    public static let markdownHeader = [
        "| features | pooling | L2 | class weights | images | macro-F1 (95 % CI) | accuracy (95 % CI) | MI recall | ECE |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    public var markdownRow: String {
        let m = report.metrics
        return "| \(features.architecture) \(features.summary) | \(recipe.pooling.rawValue) | \(String(format: "%g", recipe.l2)) | "
            + "\(recipe.classBalanced ? "balanced" : "none") | \(report.imageCount) | \(Self.interval(m.macroF1)) | "
            + "\(Self.interval(m.accuracy)) | \(Self.percent(miRecall)) | \(Self.percent(report.calibration.expectedCalibrationError)) |"
    }

    /// Myocardial_Infarction's recall, where the classes have it.
    var miRecall: Double? { report.metrics.classes.first { $0.name == "Myocardial_Infarction" }?.recall.value }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", 100 * $0) } ?? "-" }

    static func interval(_ estimate: Estimate) -> String {
        guard let lower = estimate.lower, let upper = estimate.upper else { return percent(estimate.value) }
        return percent(estimate.value) + String(format: " (%.1f-%.1f)", 100 * lower, 100 * upper)
    }
}
