import Foundation
import Inference

/// One model as the home and run pages show it: what it is in plain words, how well it measured
/// on held-out test pages, what it was trained on, where its card is, and whether it can be used.
struct ModelCardView {
    let key: String
    let name: String
    let architecture: String
    let framework: String
    let inputSize: Int
    let description: String?
    /// `Test macro-F1 76.6 % (95 % CI 63.4–86.1), accuracy 78.5 % (69.6–87.3), 79 test images`.
    let figures: String?
    /// What the figures are: the served weights' test result, or the card's run when the
    /// weights installed here are not those.
    let figuresLabel: String
    let datasetName: String?
    let datasetURL: String?
    let datasetLicense: String?
    let card: String?
    let state: String
    let statusText: String
    /// The command that trains it, while it is not trained or not installed.
    let trainCommand: String?
    /// Whether it may be chosen: ready, or untrained when the server allows that.
    let selectable: Bool
    let untrained: Bool
    let checked: Bool

    init(_ model: ModelDescription, selectable: Bool, checked: Bool) {
        key = model.key
        name = model.name
        architecture = model.architecture
        framework = model.framework == "keras" ? "Keras layout" : "torchvision layout"
        inputSize = model.inputSize
        description = model.description
        figures = model.evaluation.map(Self.figures)
        figuresLabel = model.status == .ready ? "Measured" : "Measured when trained by its card"
        datasetName = model.dataset?.name
        datasetURL = model.dataset?.url
        datasetLicense = model.dataset?.license
        card = model.card
        state = model.status.rawValue
        untrained = model.trained == false
        trainCommand = model.trainCommand
        switch model.status {
        case .ready: statusText = model.loaded ? "ready (loaded)" : "ready"
        case .notTrained:
            statusText = selectable ? "not trained (random weights), allowed for development: its answers mean nothing"
                : "not trained: its weights are random, so it cannot be used yet"
        case .notInstalled: statusText = "not installed: no weights file yet"
        case .failed: statusText = "failed to load: \(model.reason ?? "")"
        }
        self.selectable = selectable
        self.checked = checked
    }

    /// The headline figures in words, percentages with one decimal.
    static func figures(_ evaluation: ModelEvaluation) -> String {
        func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
        func interval(_ bounds: [Double]) -> String {
            bounds.count == 2 ? String(format: " (95 %% CI %.1f–%.1f)", bounds[0] * 100, bounds[1] * 100) : ""
        }
        return "Test macro-F1 \(percent(evaluation.macroF1))\(interval(evaluation.macroF1Interval)), "
            + "accuracy \(percent(evaluation.accuracy))\(interval(evaluation.accuracyInterval)), "
            + "on \(evaluation.testImages) test images"
    }
}
