import Models
import NN

/// How a Keras 3 weights file's numbered layer groups (`layers/conv2d_3/vars/0`) correspond to
/// an architecture's parameter names (`block_1_project/kernel`).
///
/// Keras 3 names a layer's group after its class, numbered in the order of `model.layers`, and its
/// variables by position; it loads a file by that structure, not by layer name. This map does the
/// same: the k-th `Conv2D` the architecture builds takes `conv2d_k`'s variables, and so on.
/// Layer classes come from the architecture's layer specs (`Architecture.layerSpecs`).
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

    /// The layers `architecture` declares, each convolution followed by its batch normalisation
    /// as a layer of its own, as Keras builds them.
    init(architecture: Architecture, classes: Int, inputSize: Int? = nil) throws {
        /// `block_1_project` for `block_1_project/kernel`.
        func layerName(_ parameter: ParameterSpec) -> String {
            String(parameter.name[..<(parameter.name.lastIndex(of: "/") ?? parameter.name.endIndex)])
        }
        var layers: [Layer] = []
        for spec in try architecture.layerSpecs(classes: classes, inputSize: inputSize) {
            switch spec {
            case let .conv(conv):
                layers.append(Layer(name: layerName(conv.weight), keras: conv.layout == .depthwise ? "depthwise_conv2d" : "conv2d",
                                    variables: conv.bias == nil ? ["kernel"] : ["kernel", "bias"], outputs: conv.outputChannels))
                if let norm = conv.norm {
                    layers.append(Layer(name: layerName(norm.scale), keras: "batch_normalization",
                                        variables: ["gamma", "beta", "moving_mean", "moving_variance"],
                                        outputs: conv.outputChannels))
                }
            case let .linear(linear):
                layers.append(Layer(name: layerName(linear.weight), keras: "dense", variables: ["kernel", "bias"],
                                    outputs: linear.weight.shape[1]))
            }
        }
        self.layers = layers
    }

    /// Splits a group name into its class and index: `conv2d_3` → (`conv2d`, 3).
    static func classAndIndex(_ group: String) -> (String, Int) {
        if let underscore = group.lastIndex(of: "_"), let index = Int(group[group.index(after: underscore)...]), index > 0 {
            return (String(group[..<underscore]), index)
        }
        return (group, 0)
    }
}
