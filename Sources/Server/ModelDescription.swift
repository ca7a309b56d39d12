import Foundation
import ImageIO
import Inference
import Models

/// What `GET /api/v1/models` says about one model, and what the pages show of it.
///
/// Besides the technical facts it carries what a person needs to decide whether to trust the
/// model: its measured test figures, the data it was trained on, a plain description and a link
/// to its card. It leaves out the raw training command and any machine paths: those stay in the
/// card. A model whose weights are untrained is `not_trained`, never `ready`.
public struct ModelDescription: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case ready
        /// The weights file holds random (untrained) weights: its answers mean nothing.
        case notTrained = "not_trained"
        case notInstalled = "not_installed"
        case failed
    }

    public let key: String
    public let name: String
    public let architecture: String
    public let framework: String
    /// The input contract the model's classifier uses (``ResolvedModel/input``), field by field.
    public let inputSize: Int
    public let preprocessing: String
    public let resize: String
    /// The part of the page the model reads, in page fractions; nil for the whole page.
    public let crop: CropBox?
    public let classes: [String]
    public let description: String?
    public let isDefault: Bool
    public let status: State
    /// Why the model is not ready, and what to do about it.
    public let reason: String?
    /// Where the weights came from, in short: the training recipe and data, without the command
    /// line (the card has it).
    public let provenance: String?
    /// False for randomly initialised weights; nil when unknown.
    public let trained: Bool?
    /// Whether the model is in memory now.
    public let loaded: Bool
    /// The measured test figures of the weights its card describes.
    public let evaluation: ModelEvaluation?
    /// The data set it was trained on.
    public let dataset: DatasetCitation?
    /// The URL of its model card on this server (`/models/KEY/card`), when it has one.
    public let card: String?
    /// The command that trains or imports its weights, while it is not trained or not installed.
    public let trainCommand: String?
    /// `fitted` when a novelty check (`ecg fit-gate`) sits next to its weights, so that images far
    /// from its training pages are refused; `not_fitted` when only the page check guards it.
    public let noveltyCheck: String

    enum CodingKeys: String, CodingKey {
        case key, name, architecture, framework, preprocessing, resize, crop, classes, description, status, reason
        case provenance, trained, loaded, evaluation, dataset, card
        case inputSize = "input_size", isDefault = "default", trainCommand = "train_command", noveltyCheck = "novelty_check"
    }

    /// The input and classes come from `model`'s resolution (entry, then weights metadata, then
    /// the architecture's defaults), so they agree with what the loaded classifier uses.
    init(_ model: ResolvedModel, registry: ModelRegistry, isDefault: Bool, worker: InferenceWorker.State) {
        let entry = model.entry
        let fileStatus = model.status
        key = entry.key
        name = entry.name ?? entry.architecture.displayName
        architecture = entry.architecture.rawValue
        framework = entry.architecture.framework.rawValue
        let input = model.input
        inputSize = input.inputSize
        preprocessing = input.preprocessing.rawValue
        resize = input.resize.rawValue
        crop = input.crop
        classes = model.classes
        description = entry.description
        self.isDefault = isDefault
        evaluation = entry.evaluation
        dataset = entry.dataset.flatMap { registry.datasets[$0] }
        card = registry.cardURL(entry).flatMap { FileManager.default.fileExists(atPath: $0.path) ? "/models/\(entry.key)/card" : nil }
        let howToTrain = entry.train.map { "train it with `\($0)`" } ?? "train or import it (see its model card)"
        switch (fileStatus, worker) {
        case let (.ready(false, provenance), _):
            (status, self.provenance, trained) = (.notTrained, Self.summary(provenance), false)
            reason = "not trained: its weights are random, so its answers mean nothing; \(howToTrain)"
        case let (.ready(trained, provenance), .failed(reason)):
            (status, self.reason, self.provenance, self.trained) = (.failed, reason, Self.summary(provenance), trained)
        case let (.ready(trained, provenance), _):
            (status, reason, self.provenance, self.trained) = (.ready, nil, Self.summary(provenance), trained)
        case (.notInstalled, _):
            (status, provenance, trained) = (.notInstalled, nil, nil)
            reason = "not installed: no weights file yet; \(howToTrain)"
        case let (.failed(reason), _):
            (status, self.reason, provenance, trained) = (.failed, reason, nil, nil)
        }
        trainCommand = status == .notTrained || status == .notInstalled ? entry.train : nil
        noveltyCheck = FileManager.default.fileExists(atPath: registry.noveltyURL(entry).path) ? "fitted" : "not_fitted"
        if case .loaded = worker { loaded = true } else { loaded = false }
    }

    /// `provenance` without its `; command: …` tail, and without absolute paths.
    static func summary(_ provenance: String) -> String {
        let text = provenance.range(of: "; command: ").map { String(provenance[..<$0.lowerBound]) } ?? provenance
        return WeightsMetadata.portable(text)
    }
}
