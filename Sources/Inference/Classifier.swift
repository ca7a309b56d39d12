import Checkpoints
import Dispatch
import Foundation
import ImageIO
import Kernels
import Models
import NN
import Tensors

/// A model ready to classify images: its network, and everything needed to turn an image into
/// the network's input.
public struct Classifier: Sendable {
    public let key: String
    public let displayName: String
    public let network: any Network
    public let classes: [String]
    /// The input contract (crop, resize, preprocessing): how an image becomes the network's input,
    /// resolved by ``ModelEntry/inputSpec(metadata:)``. Settable, so one model can be measured with and without its crop (`ecg evaluate --no-crop`).
    public var input: InputSpec
    /// Where the weights came from.
    public let provenance: String
    /// False for randomly initialised weights: predictions are then meaningless and say so.
    public let trained: Bool
    /// The calibration temperature from the weights' metadata (1: not calibrated). Settable, so
    /// `ecg calibrate` and `ecg evaluate` can read the uncalibrated probabilities.
    public var temperature: Double
    /// Calibrated top probabilities below this are uncertain answers; nil when not calibrated.
    public let uncertainBelow: Double?
    /// The novelty check fitted on this model's features (`ecg fit-gate`); nil when none was.
    /// Settable, so `ecg fit-gate` can measure a model it has just fitted.
    public var novelty: NoveltyModel?
    /// The trace head fused with the network's answer (`ecglens`); nil for an image-only model.
    /// Settable, so that the picture head can be measured alone (the fused-model tests do).
    public var fusion: TraceFusion?
    /// What the network's convolutions multiply in here: the entry's `precision`, or fp32 where
    /// the CPU cannot run it.
    public let precision: Precision
    /// Why `precision` is not the one the entry asks for (a CPU without it), else nil: for the logs.
    public let precisionNote: String?

    /// Loads `entry`'s weights and builds its network.
    /// - Throws: `RegistryError.notInstalled` when the weights file does not exist yet;
    ///   `CheckpointError` naming the file when it is corrupt or does not fit the architecture;
    ///   `WeightImportError` when a Keras or PyTorch weights file cannot be converted;
    ///   `NoveltyModelError` naming the novelty sidecar when it is unreadable or fitted on other weights;
    ///   `TraceFusionError` naming the weights file when its trace head does not fit this ECGLens;
    ///   `Int8CalibrationError` naming the file when int8 is asked for and its calibration file is unusable.
    /// - Parameter loadingNovelty: Read the novelty sidecar next to the weights (false: leave
    ///   ``novelty`` nil, as `ecg fit-gate` does before refitting it).
    public init(entry: ModelEntry, registry: ModelRegistry, loadingNovelty: Bool = true) throws {
        let file = try SafetensorsFile(contentsOf: registry.loadableWeightsURL(entry))
        let metadata = try WeightsMetadata(file: file)
        guard metadata.architecture == entry.architecture else {
            throw CheckpointError.mismatch(
                path: file.path,
                reason: "holds a \(metadata.architecture.rawValue), but the registry says \(entry.architecture.rawValue)")
        }
        let classes = entry.classes ?? metadata.classes
        let input = entry.inputSpec(metadata: metadata)
        let options = NetworkOptions(transformInput: entry.transformInput ?? metadata.options.transformInput)
        var parameters: ParameterSource = file
        if let backboneURL = registry.backboneURL(entry) {
            guard FileManager.default.fileExists(atPath: backboneURL.path) else {
                throw RegistryError.notInstalled(key: entry.key, path: backboneURL.path)
            }
            let backbone = try SafetensorsFile(contentsOf: backboneURL)
            try BackboneCheck.verify(head: file, backbone: backbone)
            parameters = FallbackParameterSource(file: file, fallback: backbone)
        }
        let requested = entry.precision ?? .fp32
        (precision, precisionNote) = (requested.available, entry.precisionFallbackNote)
        // Read whenever int8 is asked for, so that a bad file is reported on every CPU.
        let calibration = try requested == .int8 ? registry.int8CalibrationURL(entry).map { try Int8CalibrationFile(contentsOf: $0).calibration } : nil
        network = try entry.architecture.build(
            parameters: parameters, classes: classes.count, inputSize: input.inputSize, options: options, precision: precision,
            int8Calibration: calibration)
        fusion = try TraceFusion(file: file)
        if let fusion, fusion.classCount != classes.count {
            throw TraceFusionError.file(path: file.path, reason: "its trace head has \(fusion.classCount) classes, the model \(classes.count)")
        }
        // The trace head digitises the page it is given, at full resolution; a reduced decode
        // would feed it (and the picture, which must match its training) another page.
        if fusion != nil, input.decodeRatio != nil {
            throw TraceFusionError.file(path: file.path, reason: "a model with a trace head reads the full-size page: its input contract cannot set decode_ratio")
        }
        key = entry.key
        displayName = entry.name ?? entry.architecture.displayName
        self.classes = classes
        self.input = input
        provenance = metadata.provenance
        trained = metadata.trained
        temperature = metadata.temperature ?? 1
        uncertainBelow = metadata.uncertainBelow
        novelty = loadingNovelty ? try NoveltyModel.sidecar(forWeights: registry.weightsURL(entry), network: network) : nil
    }

    /// The side of the square input image.
    public var inputSize: Int { input.inputSize }

    /// The network's input for `images`, each cropped, resized and preprocessed by `input`, in one
    /// `N x S x S x 3` batch.
    public func inputBatch(_ images: [RGBImage]) -> Tensor {
        // One `InputSpec.apply` per image: the same function the training and evaluation loaders use.
        let side = input.inputSize
        return Tensor(shape: [images.count, side, side, 3]) { batch in
            for (index, image) in images.enumerated() {
                input.apply(to: image, into: batch + index * input.valuesPerImage)
            }
        }
    }

    /// Classifies decoded images, one prediction per image, with probabilities calibrated by
    /// ``temperature``.
    /// - Throws: `TensorError` only for a programming error in the network.
    public func classify(_ images: [RGBImage]) throws -> [Prediction] {
        try classifyChecked(images).map(\.prediction)
    }

    /// Decodes an encoded image (JPEG or PNG) as the input contract says (``InputSpec/decode(_:limits:)``):
    /// how every path that classifies a file gets its image.
    /// - Throws: `ImageDecodingError` for input that is not a usable image or exceeds `limits`.
    public func decode(_ imageData: some ContiguousBytes, limits: ImageDecoder.Limits = .init()) throws(ImageDecodingError) -> RGBImage {
        try input.decode(imageData, limits: limits)
    }

    /// Decodes and classifies one encoded image (JPEG or PNG).
    /// - Throws: `ImageDecodingError` for input that is not a usable image.
    public func classify(imageData: some ContiguousBytes) throws -> Prediction {
        let image = try decode(imageData)
        return try classify([image])[0]
    }
}

/// A model's answer for one image.
public struct Prediction: Sendable, Codable, Equatable {
    /// Wall-clock time per image.
    public struct Timings: Sendable, Codable, Equatable {
        public var preprocessMilliseconds: Double
        public var inferenceMilliseconds: Double

        public init(preprocessMilliseconds: Double, inferenceMilliseconds: Double) {
            self.preprocessMilliseconds = preprocessMilliseconds
            self.inferenceMilliseconds = inferenceMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case preprocessMilliseconds = "preprocess", inferenceMilliseconds = "inference"
        }
    }

    /// Class names in output order.
    public let classes: [String]
    /// One probability per class, summing to 1.
    public let probabilities: [Float]
    public let timings: Timings
    /// What the image and the trace each said, for a fused model (``TraceFusion``); else nil.
    public var fusion: FusionEvidence? = nil

    public init(classes: [String], probabilities: [Float], timings: Timings) {
        self.classes = classes
        self.probabilities = probabilities
        self.timings = timings
    }

    /// The most probable class.
    public var predictedClass: String {
        classes[probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0]
    }
}
