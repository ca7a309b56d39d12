/// One prediction as JSON: the answer of `POST /api/v1/predict` and each line of
/// `ecg predict --json`, one shape for both (described by `Prediction` in the server's
/// `openapi.yaml`). Optional fields that have no value are left out, never written as `null`.
public struct PredictionAnswer: Sendable, Codable, Equatable {
    /// Where the time went, in milliseconds.
    public struct Timings: Sendable, Codable, Equatable {
        /// Waiting for the model's worker (0 on the command line, which has no queue).
        public var queue: Double
        /// Reading, decoding and the page check.
        public var decode: Double
        /// Crop, resize and preprocessing (the model's `InputSpec`).
        public var preprocess: Double
        public var inference: Double
        /// From the request's arrival (the command's start on the file) to the answer.
        public var total: Double

        public init(queue: Double, decode: Double, preprocess: Double, inference: Double, total: Double) {
            (self.queue, self.decode, self.preprocess, self.inference, self.total) = (queue, decode, preprocess, inference, total)
        }
    }

    /// The model's registry key.
    public var model: String
    public var modelName: String
    /// False for randomly initialised weights: the prediction is then meaningless.
    public var trained: Bool
    /// The most probable class.
    public var prediction: String
    /// `low` when the answer is uncertain: the calibrated top probability is below the model's
    /// threshold, or the top two classes are close (then read `leading_classes`); else `high`.
    public var confidence: AnswerConfidence
    /// The two most probable classes, most probable first.
    public var leadingClasses: [String]
    /// Every class's probability.
    public var probabilities: [String: Float]
    public var timingsMilliseconds: Timings
    /// The gallery sample classified, when one was named instead of an upload (server only).
    public var sample: String?
    /// The file classified, as named on the command line (command line only).
    public var image: String?
    public var notice: String
    /// What the page check found: its score, and whether the page was turned upright first.
    public var page: PageReport?

    // MARK: Extension point: optional fields added by other features.
    // Each is an optional `var` with a nil default (so every initialiser keeps working and an
    // answer without it is unchanged), one `CodingKeys` case, and one property in openapi.yaml's
    // `Prediction` schema. Here: `explanation` (Grad-CAM), `measurements` (the digitised trace) and
    // `fusion` (a fused model's two heads).

    /// Where on the page the evidence for the answer lay (Grad-CAM), when `explain=1` asked for it.
    public var explanation: ExplanationJSON? = nil
    /// The trace read off the page and measured, with `measure=1`.
    public var measurements: MeasurementsResponse? = nil
    /// What the page's image and its trace each said, for a fused model (`ecglens`).
    public var fusion: FusionEvidence? = nil

    enum CodingKeys: String, CodingKey {
        case model, trained, prediction, probabilities, sample, image, notice, confidence, page
        case modelName = "model_name", timingsMilliseconds = "timings_ms", leadingClasses = "leading_classes"
        // Extension point: the added fields' keys.
        case explanation, measurements, fusion
    }

    /// The answer of a model (its key, name, trained flag and calibrated uncertainty threshold) for one image.
    public init(
        model: String, modelName: String, trained: Bool, uncertainBelow: Double?, prediction: Prediction,
        timings: Timings, page: PageReport?, sample: String? = nil, image: String? = nil
    ) {
        self.model = model
        self.modelName = modelName
        self.trained = trained
        self.prediction = prediction.predictedClass
        confidence = prediction.confidence(uncertainBelow: uncertainBelow)
        leadingClasses = prediction.leadingClasses
        probabilities = Dictionary(zip(prediction.classes, prediction.probabilities), uniquingKeysWith: { first, _ in first })
        timingsMilliseconds = timings
        self.sample = sample
        self.image = image
        notice = researchNotice
        self.page = page
        fusion = prediction.fusion
    }
}

/// The research-use notice shown wherever results show.
public let researchNotice = "Research and teaching use only: not a medical device. Do not use for diagnosis."
