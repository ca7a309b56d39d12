import Foundation

/// A model's measured test figures, copied from its model card (`models/cards/KEY.md`) into the
/// registry so the app can show them without parsing Markdown. They describe the weights the
/// card describes: the registry entry's weights once trained with the card's command.
public struct ModelEvaluation: Codable, Sendable, Equatable {
    /// Fraction of test images classified correctly.
    public var accuracy: Double
    /// Its 95 % percentile-bootstrap interval, `[low, high]`.
    public var accuracyInterval: [Double]
    /// The unweighted mean of the four classes' F1 scores: the fairest single figure when the
    /// classes are unbalanced.
    public var macroF1: Double
    public var macroF1Interval: [Double]
    /// How many distinct test images the figures count.
    public var testImages: Int
    /// What was measured, in words (`the leakage-safe test split, each distinct image once`).
    public var split: String

    enum CodingKeys: String, CodingKey {
        case accuracy, split
        case accuracyInterval = "accuracy_ci", macroF1 = "macro_f1", macroF1Interval = "macro_f1_ci"
        case testImages = "test_images"
    }
}

/// A data set models were trained on, cited as its licence asks.
public struct DatasetCitation: Codable, Sendable, Equatable {
    /// Short name (`Khan et al. 2021`).
    public var name: String
    /// The full citation.
    public var citation: String
    public var license: String
    /// Where to get it (a DOI link).
    public var url: String
}
