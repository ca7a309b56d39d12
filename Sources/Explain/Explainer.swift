import Checkpoints
import Dispatch
import Foundation
import ImageIO
import Inference
import Models
import Tensors
import Training

/// Explains a registered model's answers with Grad-CAM: the model's trainable network (the
/// training engine's, built from the same weights file as the inference network, whose
/// evaluation-mode logits equal it), with the model's own crop, resize and preprocessing.
///
/// One explanation at a time per explainer (a lock serialises them): tracing briefly marks the
/// network's parameters as constants.
public final class Explainer: @unchecked Sendable {  // `network` is used under `lock` only
    public let key: String
    public let displayName: String
    public let architecture: Architecture
    public let classes: [String]
    /// How a page becomes the network's input, the crop box included.
    public let input: InputSpec
    /// False for randomly initialised weights: the explanation of a meaningless answer.
    public let trained: Bool
    private let network: any TrainableNetwork
    private let lock = NSLock()

    /// An explainer for any traceable network (a test's tiny one, say).
    public init(key: String, displayName: String, architecture: Architecture, classes: [String], input: InputSpec,
                trained: Bool, network: any TrainableNetwork) {
        self.key = key
        self.displayName = displayName
        self.architecture = architecture
        self.classes = classes
        self.input = input
        self.trained = trained
        self.network = network
    }

    /// Loads `entry`'s weights into the trainable version of its architecture.
    /// - Throws: the errors of `Classifier(entry:registry:)` (a missing or corrupt weights file).
    public convenience init(entry: ModelEntry, registry: ModelRegistry) throws {
        let classifier = try Classifier(entry: entry, registry: registry)  // the input transform and classes, as served
        let file = try SafetensorsFile(contentsOf: registry.loadableWeightsURL(entry))
        let metadata = try WeightsMetadata(file: file)
        let options = NetworkOptions(transformInput: entry.transformInput ?? metadata.options.transformInput)
        let network = try makeTrainableNetwork(
            entry.architecture, classes: classifier.classes.count, inputSize: classifier.inputSize, options: options,
            parameters: file)
        self.init(key: classifier.key, displayName: classifier.displayName, architecture: entry.architecture,
                  classes: classifier.classes, input: classifier.input, trained: classifier.trained, network: network)
    }

    /// The index of a class given by name or by number.
    /// - Throws: ``ExplainError/unknownClass(_:classes:)``.
    public func classIndex(_ name: String) throws -> Int {
        if let index = classes.firstIndex(of: name) { return index }
        if let index = Int(name), classes.indices.contains(index) { return index }
        throw ExplainError.unknownClass(name, classes: classes)
    }

    /// Grad-CAM of an upright page for `classIndex` (the model's top class when nil).
    /// - Throws: ``ExplainError`` when the network cannot be traced or the class is out of range.
    public func explain(_ page: RGBImage, classIndex: Int? = nil) throws -> Explanation {
        let started = DispatchTime.now()
        let batch = Tensor(shape: [1, input.inputSize, input.inputSize, 3]) { input.apply(to: page, into: $0) }
        let result: (heatmap: Heatmap, classIndex: Int, logits: [Float], layerShape: [Int])
        do {
            result = try lock.withLock { try GradCAM.explain(network, image: batch, classIndex: classIndex) }
        } catch let error as TraceError {
            throw ExplainError.cannotTrace(error.description)
        }
        let detected = PageMeasurements.gridBox(of: page)
        // Statistics on a raster of at most 400 pixels a side: enough for fractions of a page.
        let scale = min(1, 400 / Double(max(page.width, page.height)))
        let heat = PageHeat(result.heatmap, crop: input.crop,
                            width: max(1, Int(Double(page.width) * scale)), height: max(1, Int(Double(page.height) * scale)))
        let grid = detected ?? .ecgTrace
        let probabilities = Explanation.softmax(result.logits)
        return Explanation(
            model: key, classIndex: result.classIndex, className: classes[result.classIndex],
            probability: probabilities[result.classIndex], heatmap: result.heatmap, layerShape: result.layerShape,
            crop: input.crop, gridBox: grid, gridBoxDetected: detected != nil,
            regions: heat.regions(), heatInGrid: heat.share(inside: grid),
            milliseconds: DispatchTime.now().milliseconds(since: started))
    }
}

/// Why an explanation cannot be made.
public enum ExplainError: Error, Equatable, CustomStringConvertible {
    case unknownClass(String, classes: [String])
    case cannotTrace(String)

    public var description: String {
        switch self {
        case .unknownClass(let name, let classes):
            "no class \(name): give one of \(classes.joined(separator: ", ")) or its index 0-\(classes.count - 1)"
        case .cannotTrace(let reason): reason
        }
    }
}
