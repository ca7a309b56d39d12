import Checkpoints
import Dispatch
import Foundation
import ImageIO
import Models
import Tensors

/// A model ready to classify images: its network, and everything needed to turn an image into
/// the network's input.
public struct Classifier: Sendable {
    public let key: String
    public let displayName: String
    public let network: any Network
    public let classes: [String]
    /// Crop, resize and preprocessing: how an image becomes the network's input.
    /// Settable, so one model can be measured with and without its crop (`ecg evaluate --no-crop`).
    public var input: InputTransform
    /// Where the weights came from.
    public let provenance: String
    /// False for randomly initialised weights: predictions are then meaningless and say so.
    public let trained: Bool

    /// Loads `entry`'s weights and builds its network.
    /// - Throws: `RegistryError.notInstalled` when the weights file does not exist yet;
    ///   `CheckpointError` naming the file when it is corrupt or does not fit the architecture;
    ///   `WeightImportError` when a Keras or PyTorch weights file cannot be converted.
    public init(entry: ModelEntry, registry: ModelRegistry) throws {
        let file = try SafetensorsFile(contentsOf: registry.loadableWeightsURL(entry))
        let metadata = try WeightsMetadata(file: file)
        guard metadata.architecture == entry.architecture else {
            throw CheckpointError.mismatch(
                path: file.path,
                reason: "holds a \(metadata.architecture.rawValue), but the registry says \(entry.architecture.rawValue)")
        }
        let classes = entry.classes ?? metadata.classes
        let inputSize = entry.inputSize ?? metadata.inputSize
        guard let preprocessing = entry.preprocessing ?? Preprocessing(rawValue: metadata.preprocessing),
              let resize = entry.resize ?? ResizeFilter(rawValue: metadata.resize) else {
            throw CheckpointError.mismatch(path: file.path, reason: "unknown preprocessing or resize filter in metadata")
        }
        let crop: CropBox?
        if let text = metadata.crop {
            guard let box = CropBox(text) else {
                throw CheckpointError.mismatch(path: file.path, reason: "metadata has an invalid crop box \(text)")
            }
            crop = box
        } else {
            crop = nil
        }
        let options = NetworkOptions(transformInput: entry.transformInput ?? metadata.options.transformInput)
        network = try entry.architecture.build(
            parameters: file, classes: classes.count, inputSize: inputSize, options: options)
        key = entry.key
        displayName = entry.name ?? entry.architecture.displayName
        self.classes = classes
        input = InputTransform(inputSize: inputSize, resize: resize, preprocessing: preprocessing, crop: entry.crop ?? crop)
        provenance = metadata.provenance
        trained = metadata.trained
    }

    /// The side of the square input image.
    public var inputSize: Int { input.inputSize }

    /// The network's input for `images`, each cropped, resized and preprocessed by `input`, in one
    /// `N x S x S x 3` batch.
    public func inputBatch(_ images: [RGBImage]) -> Tensor {
        let side = input.inputSize
        return Tensor(shape: [images.count, side, side, 3]) { batch in
            for (index, image) in images.enumerated() {
                input.apply(to: image, into: batch + index * input.valuesPerImage)
            }
        }
    }

    /// Classifies decoded images, one prediction per image.
    /// - Throws: `TensorError` only for a programming error in the network.
    public func classify(_ images: [RGBImage]) throws -> [Prediction] {
        guard !images.isEmpty else { return [] }
        let start = DispatchTime.now()
        let input = inputBatch(images)
        let prepared = DispatchTime.now()
        let probabilities = try network.probabilities(input)
        let done = DispatchTime.now()
        let timings = Prediction.Timings(
            preprocessMilliseconds: milliseconds(start, prepared) / Double(images.count),
            inferenceMilliseconds: milliseconds(prepared, done) / Double(images.count))
        let values = probabilities.scalars
        return (0..<images.count).map { index in
            let row = Array(values[(index * classes.count)..<((index + 1) * classes.count)])
            return Prediction(classes: classes, probabilities: row, timings: timings)
        }
    }

    /// Decodes and classifies one encoded image (JPEG or PNG).
    /// - Throws: `ImageDecodingError` for input that is not a usable image.
    public func classify(imageData: some ContiguousBytes) throws -> Prediction {
        let image = try ImageDecoder.decode(imageData)
        return try classify([image])[0]
    }
}

/// A model's answer for one image.
public struct Prediction: Sendable, Codable, Equatable {
    /// Wall-clock time per image.
    public struct Timings: Sendable, Codable, Equatable {
        public var preprocessMilliseconds: Double
        public var inferenceMilliseconds: Double
        enum CodingKeys: String, CodingKey {
            case preprocessMilliseconds = "preprocess", inferenceMilliseconds = "inference"
        }
    }

    /// Class names in output order.
    public let classes: [String]
    /// One probability per class, summing to 1.
    public let probabilities: [Float]
    public let timings: Timings

    /// The most probable class.
    public var predictedClass: String {
        classes[probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0]
    }
}

/// Milliseconds from `start` to `end`.
func milliseconds(_ start: DispatchTime, _ end: DispatchTime) -> Double {
    Double(end.uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}
