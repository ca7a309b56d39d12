import Foundation
import Hummingbird
import Inference
import Mustache

/// Renders the HTML pages from the bundled Mustache templates (HTML-escaped by default).
struct Pages: Sendable {
    private let library: MustacheLibrary

    /// Loads the templates from the module's resources.
    init() async throws {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw ServerSetupError("the Server module's templates are missing from its resource bundle")
        }
        library = try await MustacheLibrary(directory: directory.path)
    }

    /// An HTML response rendering `template` with `view`.
    func render(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(view, withTemplate: template) ?? "template \(template) is missing"
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A failure to set the server up, before it serves anything.
public struct ServerSetupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Views

/// The four conditions in words, for the home page and the result's labels.
enum Conditions {
    static let labels = [
        "Abnormal_Heartbeat": "Abnormal heartbeat",
        "History_Myocardial_Infarction": "History of myocardial infarction",
        "Myocardial_Infarction": "Myocardial infarction",
        "Normal": "Normal",
    ]
    static let explanations = [
        "Abnormal_Heartbeat": "An irregular rhythm or beat shape, such as atrial fibrillation or premature beats.",
        "History_Myocardial_Infarction": "Traces of an earlier, healed heart attack, such as pathological Q waves.",
        "Myocardial_Infarction": "Signs of a heart attack under way, such as ST-segment elevation: damage to the heart muscle now.",
        "Normal": "A 12-lead ECG without these findings.",
    ]

    /// `History_Myocardial_Infarction` → `History of myocardial infarction`; unknown classes
    /// lose their underscores.
    static func label(_ name: String) -> String {
        labels[name] ?? name.replacingOccurrences(of: "_", with: " ")
    }
}

struct HomeView {
    struct Condition {
        let label: String
        let explanation: String
    }

    let exampleImage: String
    let exampleCaption: String
    let conditions: [Condition]
    let models: [ModelCardView]
    let notice = researchNotice
}

struct RunView {
    struct SampleView {
        let id: String
        let label: String
        let url: String
    }

    let models: [ModelCardView]
    let samples: [SampleView]
    let hasSamples: Bool
    let samplesSource: String
    let uploadLimitMB: Int
    let result: ResultView?
    let error: ErrorView?
}

struct ErrorView {
    let message: String
    /// For `not_an_ecg`: why the page check refused the image, one reason per item.
    var reasons: [String] = []
    /// For `not_an_ecg`: tell the user about the "skip the page check" option.
    var gateHint = false

    init(message: String) {
        self.message = message
    }

    /// The page's words for `error`: a refused page gets its reasons listed, without API jargon;
    /// other errors show `message` (the page's plain words for them) or the API's message.
    init(_ error: APIError, message: String? = nil) {
        guard let gate = error.gate else {
            self.init(message: message ?? error.message)
            return
        }
        if let novelty = gate.novelty, !novelty.accepted, gate.reasons.count == 1 {
            self.init(message: String(
                format: "This image does not look like the ECG pages this model was trained on (novelty distance %.1f, at most %.1f).",
                novelty.distance, novelty.threshold))
        } else {
            self.init(message: String(format: "This image does not look like a 12-lead ECG page (page check score %.2f of 1).", gate.score))
        }
        reasons = gate.reasons
        gateHint = true
    }
}

struct ResultView {
    struct Bar {
        let label: String
        let value: String
        let percent: String
        let top: Bool
    }

    let predictionLabel: String
    let modelName: String
    let untrained: Bool
    /// An uncertain answer shows its two leading classes instead of one prediction.
    let uncertain: Bool
    let firstLabel: String
    let secondLabel: String
    let uncertainReason: String
    let imageSource: String
    let imageAlt: String
    let bars: [Bar]
    let inferenceMs: String
    let preprocessMs: String
    let decodeMs: String
    let queueMs: String
    let totalMs: String
    let notice = researchNotice
    /// What the page check did, when worth saying: the page was turned, or it was classified with the check off.
    let pageNote: String?
    /// The heatmap over the page, when the form asked for one.
    let explanation: ExplanationView?
    /// The trace's measurements, when the form asked for them.
    let measurements: MeasurementsView?
    /// What a fused model's two readers said, and the measurements that weighed most.
    let fusion: FusionView?

    init(_ result: Predictor.Result) {
        let response = result.response
        measurements = response.measurements.map(MeasurementsView.init)
        fusion = response.fusion.map { FusionView($0, classes: result.classes.map(\.name)) }
        predictionLabel = Conditions.label(response.prediction)
        modelName = response.modelName
        untrained = !response.trained
        uncertain = response.confidence == .low
        let leading = response.leadingClasses.map(Conditions.label)
        firstLabel = leading.first ?? predictionLabel
        secondLabel = leading.count > 1 ? leading[1] : ""
        let top = result.classes.map { $0.probability }.sorted(by: >)
        uncertainReason = top.count > 1 && top[0] - top[1] < Prediction.closeMargin
            ? String(format: "their probabilities are close (%.1f %% and %.1f %%).", top[0] * 100, top[1] * 100)
            : String(format: "its top probability, %.1f %%, is below the level at which it was right often enough on validation pages.", (top.first ?? 0) * 100)
        if let sample = result.sample {
            imageSource = sample.url
            imageAlt = "The sample image of class \(Conditions.label(sample.label))"
        } else if let preview = result.preview {
            imageSource = "data:image/jpeg;base64," + Data(preview).base64EncodedString()
            imageAlt = "The uploaded image"
        } else {
            imageSource = ""
            imageAlt = ""
        }
        bars = result.classes.map { name, probability in
            Bar(label: Conditions.label(name), value: String(format: "%.4f", probability),
                percent: String(format: "%.1f", probability * 100), top: name == response.prediction)
        }
        let timings = response.timingsMilliseconds
        let format = { (value: Double) in String(format: "%.1f", value) }
        inferenceMs = format(timings.inference)
        preprocessMs = format(timings.preprocess)
        decodeMs = format(timings.decode)
        queueMs = format(timings.queue)
        totalMs = format(timings.total)
        explanation = response.explanation.map(ExplanationView.init)
        pageNote = response.page.flatMap { page in
            if !page.accepted {
                return String(format: "The page check was skipped: it would have refused this image (score %.2f): ", page.score)
                    + page.reasons.joined(separator: "; ") + "."
            }
            return page.rotatedDegrees != 0 || page.skewDegrees != 0
                ? "The page was \(page.summary) before classifying." : nil
        }
    }
}
