import Dispatch
import Foundation
import Hummingbird
import ImageIO
import Inference

/// `POST /api/v1/predict`'s answer: the one prediction shape, shared with `ecg predict --json`.
extension PredictionAnswer: ResponseEncodable {}

/// Runs a prediction request through the model's worker; shared by the API and the HTML form.
struct Predictor: Sendable {
    let catalog: ModelCatalog
    let gallery: SampleGallery
    let metrics: ServerMetrics
    /// Whether untrained models may classify (see ``refuseUntrained(_:)``).
    var allowUntrained = false
    /// Makes the explanations `explain=1` asks for; nil: none are made.
    var explanations: ExplanationService? = nil
    /// Digitises and measures pages for `measure=1`.
    var measurer = PageMeasurer()

    /// A finished prediction, with what the result page shows besides the JSON.
    struct Result {
        let response: PredictionAnswer
        /// The ordered classes and probabilities.
        let classes: [(name: String, probability: Float)]
        /// A JPEG preview of an upload (nil for a sample: its URL shows instead).
        let preview: [UInt8]?
        let sample: SampleGallery.Sample?
    }

    /// - Parameters:
    ///   - started: When the request arrived, for `timings_ms.total`.
    ///   - isAbandoned: Whether the client has gone (its image is then not decoded).
    func predict(
        _ form: PredictForm, started: DispatchTime, keepPreview: Bool, isAbandoned: @escaping @Sendable () -> Bool = { false }
    ) async throws -> Result {
        // The form holds the upload's room in the upload gate until the answer is made.
        defer { withExtendedLifetime(form) {} }
        let modelKey = form.model ?? catalog.registry.defaultKey
        do {
            let worker = try catalog.worker(form.model)
            try refuseUntrained(form.model)
            let data: [UInt8]
            var sample: SampleGallery.Sample?
            switch form.input {
            case .upload(let bytes):
                data = bytes
            case .sample(let id):
                let found = try gallery.sample(id)
                (sample, data) = (found.sample, found.bytes)
            }
            let outcome = try await worker.submit(
                data, keepPreview: keepPreview && sample == nil, enforceGate: form.gate, isAbandoned: isAbandoned)
            let prediction = outcome.prediction
            let timings = PredictionAnswer.Timings(
                queue: outcome.queueMilliseconds, decode: outcome.decodeMilliseconds,
                preprocess: prediction.timings.preprocessMilliseconds, inference: prediction.timings.inferenceMilliseconds,
                total: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
            var response = PredictionAnswer(
                model: outcome.model.key, modelName: outcome.model.displayName, trained: outcome.model.trained,
                uncertainBelow: outcome.model.uncertainBelow, prediction: prediction, timings: timings,
                page: PageReport(outcome.verdict, checked: form.gate), sample: sample?.id)
            if form.explain, let explanations {
                response.explanation = try await explanations.explain(
                    key: outcome.model.key, className: prediction.predictedClass, data: data)
            }
            if form.measure { response.measurements = await measurer.measure(data, overlay: form.overlay) }
            return Result(
                response: response, classes: Array(zip(prediction.classes, prediction.probabilities)),
                preview: outcome.preview, sample: sample)
        } catch {
            // Only registered models become labels: any other name a client sends is `unknown`.
            metrics.countPredictionError(APIError(error).code, model: catalog.isRegistered(modelKey) ? modelKey : "unknown")
            throw error
        }
    }
}
