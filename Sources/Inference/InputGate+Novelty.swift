import Foundation

extension InputGate.Verdict {
    /// This verdict with the novelty check added as one more check (named `novelty`, its value the
    /// distance): the page is accepted only when both pass, and the score is the lower of the two,
    /// the novelty check's being threshold over distance. Unchanged when `novelty` is nil (the
    /// model has no novelty check).
    public func adding(novelty: NoveltyScore?) -> InputGate.Verdict {
        guard let novelty else { return self }
        let reason = novelty.accepted ? nil : String(
            format: "out of distribution: the model's features of this image lie far from every class of its training pages "
                + "(novelty distance %.1f, at most %.1f)", novelty.distance, novelty.threshold)
        let check = InputGate.Check(name: "novelty", value: novelty.distance, passed: novelty.accepted, reason: reason)
        let noveltyScore = novelty.accepted ? 1 : novelty.threshold / novelty.distance
        return InputGate.Verdict(
            accepted: accepted && novelty.accepted, score: min(score, noveltyScore), checks: checks + [check],
            measurements: measurements, orientation: orientation, novelty: novelty)
    }
}

extension InputGate.Verdict {
    /// One word for the verdict, as batch records store it: `accepted`, `not_an_ecg` (a page
    /// check failed) or `out_of_distribution` (only the novelty check failed).
    public var code: String {
        if accepted { return "accepted" }
        return checks.allSatisfy { $0.passed || $0.name == "novelty" } ? "out_of_distribution" : "not_an_ecg"
    }
}
