import Datasets
import Foundation
import Inference

/// Everything `ecg evaluate` measures about one model on one data set: what `evaluation.json`
/// holds and `report.html` shows.
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// The model evaluated.
    public struct Model: Codable, Equatable, Sendable {
        public var key: String
        public var name: String
        public var architecture: String
        /// False for randomly initialised weights: the figures then mean nothing.
        public var trained: Bool
        public var provenance: String
        public var inputSize: Int
        public var preprocessing: String
        public var resize: String
        /// The crop box used (`left,top,right,bottom` in page fractions); nil for the whole page.
        public var crop: String?
        /// What the convolutions multiplied in (`fp32`, `bf16`, `int8`); nil in reports written before it was recorded.
        public var precision: String?

        enum CodingKeys: String, CodingKey {
            case key, name, architecture, trained, provenance, preprocessing, resize, crop, precision
            case inputSize = "input_size"
        }

        public init(
            key: String, name: String, architecture: String, trained: Bool, provenance: String, inputSize: Int,
            preprocessing: String, resize: String, crop: String?, precision: String? = nil
        ) {
            self.key = key
            self.name = name
            self.architecture = architecture
            self.trained = trained
            self.provenance = provenance
            self.inputSize = inputSize
            self.preprocessing = preprocessing
            self.resize = resize
            self.crop = crop
            self.precision = precision
        }

        /// `classifier`'s description, with the crop it currently applies.
        public init(_ classifier: Classifier) {
            self.init(
                key: classifier.key, name: classifier.displayName, architecture: classifier.network.architecture.rawValue,
                trained: classifier.trained, provenance: classifier.provenance, inputSize: classifier.inputSize,
                preprocessing: classifier.input.preprocessing.rawValue, resize: classifier.input.resize.rawValue,
                crop: classifier.input.crop?.description, precision: classifier.precision.rawValue)
        }
    }

    /// An image the model got wrong.
    public struct Mistake: Codable, Equatable, Sendable {
        public var file: String
        public var trueClass: String
        public var predictedClass: String
        public var confidence: Double

        enum CodingKeys: String, CodingKey {
            case file, confidence
            case trueClass = "true_class", predictedClass = "predicted_class"
        }
    }

    /// The research-use notice.
    public var notice: String
    public var model: Model
    /// The data set's folder.
    public var data: String
    /// The class names, in the model's output order.
    public var classes: [String]
    /// Files classified (unreadable ones excluded).
    public var fileCount: Int
    /// Images the figures count: one per distinct picture, unless `duplicatesCounted`.
    public var imageCount: Int
    /// True when every file counted, copies and near duplicates of one picture included.
    public var duplicatesCounted: Bool
    public var bootstrap: Bootstrap
    public var metrics: ClassificationMetrics
    public var calibration: Calibration
    /// Mean cross-entropy of the true class, in nats.
    public var logLoss: Double
    public var misclassified: [Mistake]
    public var unreadable: [UnreadableImage]
    /// Every file's class probabilities and distinct picture.
    public var images: [ImageResult]
    /// Wall-clock seconds for reading and classifying the images.
    public var seconds: Double
    /// The trainer's per-epoch log, when one was given.
    public var trainingLog: [EpochRecord]?
    /// The calibration temperature the model's probabilities were scaled by; nil when it has none.
    public var temperature: Double?
    /// The calibration before temperature scaling, when the model has a temperature.
    public var calibrationBeforeScaling: Calibration?
    /// For a bf16 or int8 run, how far its answers moved from fp32's on the same files.
    public var precisionChange: PrecisionChange?

    enum CodingKeys: String, CodingKey {
        case notice, model, data, classes, bootstrap, metrics, calibration, misclassified, unreadable, images, seconds
        case fileCount = "file_count", imageCount = "image_count", duplicatesCounted = "duplicates_counted"
        case logLoss = "log_loss", trainingLog = "training_log", temperature
        case calibrationBeforeScaling = "calibration_before_temperature_scaling"
        case precisionChange = "precision_change"
    }

    /// Measures `results` (from `Evaluator.run`) of `model`, whose outputs are `classes`.
    ///
    /// Unless `countDuplicates`, the figures and the bootstrap count each distinct picture once
    /// (its first file): `ecg split` keeps copies on one side but keeps them all, up to eight of
    /// one picture, and counting them would weight those pictures eightfold and make the
    /// intervals too narrow. Mistakes are listed for every file.
    public init(
        model: Model, classes: [String], data: String, results: [ImageResult], unreadable: [UnreadableImage],
        bootstrap: Bootstrap, calibrationBins: Int = 10, countDuplicates: Bool = false, seconds: Double,
        trainingLog: [EpochRecord]? = nil, notice: String
    ) {
        let counted = countDuplicates ? results : countedOnce(results)
        let labels = counted.map(\.label), probabilities = counted.map(\.probabilities)
        self.notice = notice
        self.model = model
        self.data = data
        self.classes = classes
        fileCount = results.count
        imageCount = counted.count
        duplicatesCounted = countDuplicates
        self.bootstrap = bootstrap
        metrics = ClassificationMetrics(
            classNames: classes, labels: labels, predictions: counted.map(\.prediction), bootstrap: bootstrap)
        calibration = Calibration(probabilities: probabilities, labels: labels, binCount: calibrationBins)
        logLoss = Evaluation.logLoss(probabilities: probabilities, labels: labels)
        misclassified = results.filter { $0.prediction != $0.label }.map {
            Mistake(file: $0.file, trueClass: classes[$0.label], predictedClass: classes[$0.prediction],
                    confidence: $0.confidence)
        }
        self.unreadable = unreadable
        images = results
        self.seconds = seconds
        self.trainingLog = trainingLog
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
