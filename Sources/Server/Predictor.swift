import Dispatch
import Foundation
import Hummingbird
import ImageIO
import Inference

/// `POST /api/v1/predict`'s answer.
public struct PredictionResponse: Sendable, Codable, ResponseEncodable {
    public struct Timings: Sendable, Codable {
        /// Waiting for the model's worker.
        public let queue: Double
        public let decode: Double
        public let preprocess: Double
        public let inference: Double
        /// From the request's arrival to the answer, including reading the upload.
        public let total: Double
    }

    /// The model's key.
    public let model: String
    public let modelName: String
    /// False for randomly initialised weights: the prediction is then meaningless.
    public let trained: Bool
    /// The most probable class.
    public let prediction: String
    /// `low` when the answer is uncertain: the calibrated top probability is below the model's
    /// threshold, or the top two classes are close (then read `leading_classes`); else `high`.
    public let confidence: AnswerConfidence
    /// The two most probable classes, most probable first.
    public let leadingClasses: [String]
    /// Every class's probability.
    public let probabilities: [String: Float]
    public let timingsMilliseconds: Timings
    /// The sample classified, when one was named instead of an upload.
    public let sample: String?
    public let notice: String
    /// What the page check found: its score, and whether the page was turned upright first.
    public var page: PageReport? = nil
    /// The trace read off the page and measured, with `measure=1`.
    public var measurements: MeasurementsResponse? = nil

    enum CodingKeys: String, CodingKey {
        case model, trained, prediction, probabilities, sample, notice, confidence, page, measurements
        case modelName = "model_name", timingsMilliseconds = "timings_ms", leadingClasses = "leading_classes"
    }
}

/// The research-use notice shown wherever results show.
public let researchNotice = "Research and teaching use only: not a medical device. Do not use for diagnosis."

/// Runs a prediction request through the model's worker; shared by the API and the HTML form.
struct Predictor: Sendable {
    let catalog: ModelCatalog
    let gallery: SampleGallery
    let metrics: ServerMetrics
    /// Whether untrained models may classify (see ``refuseUntrained(_:)``).
    var allowUntrained = false
    /// Digitises and measures pages for `measure=1`.
    var measurer = PageMeasurer()

    /// A finished prediction, with what the result page shows besides the JSON.
    struct Result {
        let response: PredictionResponse
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
            let timings = PredictionResponse.Timings(
                queue: outcome.queueMilliseconds, decode: outcome.decodeMilliseconds,
                preprocess: prediction.timings.preprocessMilliseconds, inference: prediction.timings.inferenceMilliseconds,
                total: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
            var response = PredictionResponse(
                model: outcome.model.key, modelName: outcome.model.displayName, trained: outcome.model.trained,
                prediction: prediction.predictedClass,
                confidence: prediction.confidence(uncertainBelow: outcome.model.uncertainBelow),
                leadingClasses: prediction.leadingClasses,
                probabilities: Dictionary(zip(prediction.classes, prediction.probabilities), uniquingKeysWith: { a, _ in a }),
                timingsMilliseconds: timings, sample: sample?.id, notice: researchNotice)
            response.page = PageReport(outcome.verdict, checked: form.gate)
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
