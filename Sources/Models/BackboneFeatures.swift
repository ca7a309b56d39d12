import NN
import Tensors

/// A network whose convolutional backbone can be run without its head: what a feature cache
/// (`FeatureCache` in Training) stores and linear heads are fitted on.
public protocol BackboneFeatures: Network {
    /// `N x H x W x 3` preprocessed images → the last feature map, `N x H' x W' x C`, before any
    /// pooling or head.
    func featureMap(_ input: Tensor) throws -> Tensor
}

/// An architecture whose forward pass starts with a convolutional backbone that can be run alone.
/// (One conditional conformance of `InferenceNetwork` serves every such architecture: Swift allows
/// only one per protocol.)
public protocol FeatureMapDefinition: ArchitectureDefinition {
    /// `N x H x W x 3` preprocessed images → the backbone's last feature map, `N x H' x W' x C`.
    func featureMap<Ops: NetworkOps>(_ input: Ops.Value, _ ops: Ops) throws -> Ops.Value where Ops.Conv == Conv
}

extension InferenceNetwork: BackboneFeatures where Definition: FeatureMapDefinition {
    public func featureMap(_ input: Tensor) throws -> Tensor {
        try layers.featureMap(input, InferenceOps())
    }
}

/// Everything up to `Conv_1` (ReLU6, so every feature is in [0, 6]): `N x 7 x 7 x 1280` at 224 px.
extension MobileNetV2.Layers: FeatureMapDefinition {}

/// The 13 convolutions and 5 pools of `features` (ReLU, so every feature is at least 0):
/// `N x 7 x 7 x 512` at 224 px.
extension VGG16.Layers: FeatureMapDefinition {}
