import NN
import Tensors

/// A network whose convolutional backbone can be run without its head: what a feature cache
/// (`FeatureCache` in Training) stores and linear heads are fitted on.
public protocol BackboneFeatures: Network {
    /// `N x H x W x 3` preprocessed images → the last feature map, `N x H' x W' x C`, before any
    /// pooling or head.
    func featureMap(_ input: Tensor) throws -> Tensor
}

extension InferenceNetwork: BackboneFeatures where Definition == MobileNetV2.Layers<Conv2D, Dense> {
    /// Everything up to `Conv_1` (ReLU6, so every feature is in [0, 6]): `N x 7 x 7 x 1280` at 224 px.
    public func featureMap(_ input: Tensor) throws -> Tensor {
        try layers.featureMap(input, InferenceOps())
    }
}
