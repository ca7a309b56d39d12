import Foundation

/// How far a bf16 or int8 run's answers moved from fp32's on the same images: what `ecg evaluate
/// --precision bf16|int8` reports beside its figures (issue 16: macro-F1 within 0.5 points, the
/// largest probability change stated).
public struct PrecisionChange: Codable, Equatable, Sendable {
    /// The precision compared with fp32 (`bf16`, `int8`).
    public var precision: String
    /// This precision's macro-F1 and accuracy minus fp32's, as fractions (0.01 is one point).
    public var macroF1Change: Double?
    public var accuracyChange: Double?
    /// The largest change of any class's probability on any file, and that file.
    public var largestProbabilityChange: Double
    public var largestChangeFile: String?
    /// Files whose predicted class changed, of `files` compared.
    public var answersChanged: Int
    public var files: Int

    enum CodingKeys: String, CodingKey {
        case precision, files
        case macroF1Change = "macro_f1_change", accuracyChange = "accuracy_change"
        case largestProbabilityChange = "largest_probability_change", largestChangeFile = "largest_change_file"
        case answersChanged = "answers_changed"
    }

    /// Compares `report` with `fp32`, the same model's report on the same data in fp32, file by file.
    public init(precision: String, report: EvaluationReport, fp32: EvaluationReport) {
        self.precision = precision
        func change(_ a: Double?, _ b: Double?) -> Double? { a.flatMap { a in b.map { a - $0 } } }
        macroF1Change = change(report.metrics.macroF1.value, fp32.metrics.macroF1.value)
        accuracyChange = change(report.metrics.accuracy.value, fp32.metrics.accuracy.value)
        let baseline = Dictionary(fp32.images.map { ($0.file, $0) }, uniquingKeysWith: { first, _ in first })
        (largestProbabilityChange, largestChangeFile, answersChanged, files) = (0, nil, 0, 0)
        for image in report.images {
            guard let before = baseline[image.file] else { continue }
            files += 1
            if image.prediction != before.prediction { answersChanged += 1 }
            let moved = zip(image.probabilities, before.probabilities).map { Double(abs($0 - $1)) }.max() ?? 0
            if moved > largestProbabilityChange { (largestProbabilityChange, largestChangeFile) = (moved, image.file) }
        }
    }

    /// `int8 against fp32 on the same 151 files: macro-F1 +0.04 points, accuracy +0.00, largest
    /// probability change 0.194 (Normal/x.jpg), 3 of 151 answers changed`.
    public var summary: String {
        func points(_ value: Double?) -> String { value.map { String(format: "%+.2f", 100 * $0) } ?? "n/a" }
        return "\(precision) against fp32 on the same \(files) files: macro-F1 \(points(macroF1Change)) points, "
            + "accuracy \(points(accuracyChange)), largest probability change \(String(format: "%.3f", largestProbabilityChange))"
            + (largestChangeFile.map { " (\($0))" } ?? "") + ", \(answersChanged) of \(files) answers changed"
    }
}
