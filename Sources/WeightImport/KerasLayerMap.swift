import Models

/// How a Keras 3 weights file's numbered layer groups (`layers/conv2d_3/vars/0`) correspond to
/// an architecture's parameter names (`block_1_project/kernel`).
///
/// Keras 3 names a layer's group after its class, numbered in the order of `model.layers`, and its
/// variables by position; it loads a file by that structure, not by layer name. This map does the
/// same: the k-th `Conv2D` the architecture builds takes `conv2d_k`'s variables, and so on.
/// NOTE: layer classes are inferred from the parameters: `gamma` means `BatchNormalization`, a
/// 2-D kernel `Dense`, a layer named `*_depthwise` `DepthwiseConv2D`, any other kernel `Conv2D`.
struct KerasLayerMap {
    /// One layer of the architecture: its name, Keras class group name, variables in Keras order,
    /// and output channels or units.
    struct Layer: Equatable {
        let name: String
        let keras: String
        let variables: [String]
        let outputs: Int
    }

    /// The architecture's layers, in the order it builds them.
    let layers: [Layer]

    /// Each Keras class's variables, in the order Keras saves them.
    static let variableOrder: [String: [String]] = [
        "conv2d": ["kernel", "bias"], "depthwise_conv2d": ["kernel", "bias"], "dense": ["kernel", "bias"],
        "batch_normalization": ["gamma", "beta", "moving_mean", "moving_variance"],
    ]

    init(architecture: Architecture, classes: Int, inputSize: Int? = nil) throws {
        let parameters = try ParameterLists.of(architecture, classes: classes, inputSize: inputSize)
        var order: [String] = []
        var variables: [String: [(name: String, shape: [Int])]] = [:]
        for (name, shape) in parameters {
            guard let slash = name.lastIndex(of: "/") else { continue }
            let layer = String(name[..<slash])
            if variables[layer] == nil { order.append(layer) }
            variables[layer, default: []].append((String(name[name.index(after: slash)...]), shape))
        }
        layers = order.map { name in
            let vars = variables[name] ?? []
            let keras: String
            if vars.contains(where: { $0.name == "gamma" || $0.name == "moving_mean" }) {
                keras = "batch_normalization"
            } else if vars.contains(where: { $0.name == "kernel" && $0.shape.count == 2 }) {
                keras = "dense"
            } else {
                keras = name.hasSuffix("_depthwise") ? "depthwise_conv2d" : "conv2d"
            }
            let canonical = Self.variableOrder[keras] ?? []
            let shape = vars.first?.shape ?? []
            let outputs = keras == "depthwise_conv2d" && shape.count == 4 ? shape[2] : shape.last ?? 0
            return Layer(name: name, keras: keras, variables: canonical.filter { v in vars.contains { $0.name == v } },
                         outputs: outputs)
        }
    }

    /// Splits a group name into its class and index: `conv2d_3` → (`conv2d`, 3).
    static func classAndIndex(_ group: String) -> (String, Int) {
        if let underscore = group.lastIndex(of: "_"), let index = Int(group[group.index(after: underscore)...]), index > 0 {
            return (String(group[..<underscore]), index)
        }
        return (group, 0)
    }
}
