import Foundation
import Models

/// A saved Keras model's architecture (a `.keras` archive's `config.json`, or a legacy `.h5`
/// file's `model_config` attribute): its layers with weights, checked against an ECGLens
/// architecture so that a file for another model is refused with what differs.
struct KerasConfig {
    /// Layers with weights, depth first, nested models in place: Keras group class name, layer
    /// name, and filters or units where the layer has them.
    let layers: [(keras: String, name: String, outputs: Int?)]
    /// The side of the square input the model declares, if it declares one.
    let inputSize: Int?

    /// Deeper JSON is refused before parsing, so that no parser recursion can exhaust the stack.
    static let maxNesting = 200

    init(_ data: Data, path: String) throws(WeightImportError) {
        var depth = 0, deepest = 0
        for byte in data where byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
            depth += byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") ? 1 : -1
            deepest = max(deepest, depth)
        }
        guard deepest <= Self.maxNesting else { throw .malformed(path: path, reason: "the model config nests deeper than \(Self.maxNesting) levels") }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .malformed(path: path, reason: "the model config is not a JSON object")
        }
        var layers: [(keras: String, name: String, outputs: Int?)] = []
        var inputSize: Int?
        Self.weightedLayers(json, depth: 0, into: &layers, inputSize: &inputSize)
        self.layers = layers
        self.inputSize = inputSize
    }

    /// Keras class names of layers with weights, as the weights file numbers them.
    static let kerasGroups = ["Conv2D": "conv2d", "DepthwiseConv2D": "depthwise_conv2d", "Dense": "dense",
                              "BatchNormalization": "batch_normalization"]

    /// The layers with weights in a model config, depth first, nested models in place.
    private static func weightedLayers(
        _ node: [String: Any], depth: Int, into layers: inout [(keras: String, name: String, outputs: Int?)], inputSize: inout Int?
    ) {
        guard depth < 32, let config = node["config"] as? [String: Any] else { return }
        let className = node["class_name"] as? String ?? ""
        if let list = config["layers"] as? [[String: Any]] {
            for layer in list { weightedLayers(layer, depth: depth + 1, into: &layers, inputSize: &inputSize) }
        } else if let group = kerasGroups[className] {
            layers.append((group, config["name"] as? String ?? "?", (config["filters"] ?? config["units"]) as? Int))
        } else if className == "InputLayer", inputSize == nil,
                  let shape = (config["batch_shape"] ?? config["batch_input_shape"]) as? [Any], shape.count == 4 {
            inputSize = shape[1] as? Int
        }
    }

    /// Refuses a config whose layers differ from the architecture's, saying how.
    func check(against map: KerasLayerMap, architecture: Architecture, path: String) throws {
        let saved = layers
        for group in Set(Self.kerasGroups.values).sorted() {
            let file = saved.filter { $0.keras == group }
            let ours = map.layers.filter { $0.keras == group }
            guard file.count == ours.count else {
                throw WeightImportError.architectureMismatch(
                    path: path, reason: "the saved model has \(file.count) \(group) layers, \(architecture.rawValue) has \(ours.count)")
            }
            for (theirs, mine) in zip(file, ours) {
                if let outputs = theirs.outputs, outputs != mine.outputs {
                    throw WeightImportError.architectureMismatch(
                        path: path,
                        reason: "layer \(theirs.name) has \(outputs) outputs, but \(architecture.rawValue)'s \(mine.name) has \(mine.outputs)")
                }
            }
        }
    }
}
