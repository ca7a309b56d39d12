import NN
import Tensors

/// A network whose convolutional backbone can be run without its head: what a feature cache
/// (`FeatureCache` in Training) stores and linear heads are fitted on.
public protocol BackboneFeatures: Network {
    /// `N x H x W x 3` preprocessed images → the last feature map, `N x H' x W' x C`, before any
    /// pooling or head.
    func featureMap(_ input: Tensor) throws -> Tensor
}

extension MobileNetV2: BackboneFeatures {
    /// Everything up to `Conv_1` (ReLU6, so every feature is in [0, 6]): `N x 7 x 7 x 1280` at 224 px.
    public func featureMap(_ input: Tensor) throws -> Tensor {
        var x = try Conv1(input)                   // N x 112 x 112 x 32
        for block in blocks { x = try block(x) }   // N x 7 x 7 x 320
        return try Conv_1(x)                       // N x 7 x 7 x 1280
    }
}

extension MobileNetV2: PenultimateFeatures {
    public var penultimateLayer: String { "dense" }
    public var penultimateWidth: Int { dense.weight.shape[1] }

    /// The forward pass of `callAsFunction`, keeping the 128 ReLU outputs of the head's `dense`.
    public func penultimateAndOutput(_ input: Tensor) throws -> (features: Tensor, output: Tensor) {
        let pooled = try featureMap(input).globalAvgPool2d()  // N x 1280
        let features = try dense(pooled)                      // N x 128 (dropout: identity)
        return (features, try output(fromPenultimate: features))
    }

    public func output(fromPenultimate features: Tensor) throws -> Tensor {
        try dense_1(features).softmax()
    }
}
