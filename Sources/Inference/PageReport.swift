/// The page check's findings as a prediction's JSON (``PredictionAnswer``) and the result page show them.
public struct PageReport: Sendable, Codable, Equatable {
    /// Whether the gate was enforced (`gate=0` skips the refusal, never the check).
    public let checked: Bool
    /// Whether the gate accepted the image as a 12-lead ECG page.
    public let accepted: Bool
    /// 0...1; 1 when every check passed (see ``InputGate/Verdict/score``).
    public let score: Double
    /// Why the gate would refuse the image (empty when it accepts it).
    public let reasons: [String]
    /// Degrees the page was turned clockwise before classifying: 0, 90, 180 or 270.
    public let rotatedDegrees: Int
    /// Degrees of skew straightened (counter-clockwise on screen), 0 when none.
    public let skewDegrees: Double
    /// "turned 90° clockwise", "upright as sent", ...
    public let summary: String
    /// The model's novelty check (distance to its training pages' features, threshold, verdict);
    /// nil when the model has none.
    public let novelty: NoveltyScore?

    enum CodingKeys: String, CodingKey {
        case checked, accepted, score, reasons, summary, novelty
        case rotatedDegrees = "rotated_degrees", skewDegrees = "skew_degrees"
    }

    public init(_ verdict: InputGate.Verdict, checked: Bool) {
        self.checked = checked
        accepted = verdict.accepted
        score = (verdict.score * 1000).rounded() / 1000
        reasons = verdict.reasons
        rotatedDegrees = verdict.orientation.quarterTurns * 90
        skewDegrees = verdict.orientation.skewDegrees
        summary = verdict.orientation.summary
        novelty = verdict.novelty
    }
}
