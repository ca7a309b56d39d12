import Foundation
import Models
import NN
import Testing
@testable import WeightImport

/// The real Keras-written MobileNetV2 ImageNet backbone in `../shared/pretrained` (skipped when absent).
@Suite struct PretrainedBackboneTests {
    static let backbone = Fixtures.shared("pretrained/mobilenetv2_imagenet160_backbone.weights.h5")

    @Test(.enabled(if: backbone != nil, "../shared/pretrained/mobilenetv2_imagenet160_backbone.weights.h5 is absent"))
    func theKerasImageNetBackboneLoadsUnderMobileNetV2Names() throws {
        let weights = try openWeights(Self.backbone!, architecture: .mobileNetV2)
        #expect(weights.names.count == 260)
        #expect(weights.names.first == "Conv1/kernel")
        #expect(weights.names.last == "Conv_1_bn/moving_variance")
        #expect(try weights.missingNames() == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"])

        // Matching by structure (as Keras loads) agrees with the layer names Keras recorded.
        let keras = try #require(weights as? KerasWeightsFile)
        #expect(keras.recordedLayerNames.count == 104)
        for (layer, recorded) in keras.recordedLayerNames { #expect(layer == recorded) }

        // Values as h5py reads them.
        let kernel = try weights.tensor("Conv1/kernel", shape: [3, 3, 3, 32], role: .weight(fanIn: 27, fanOut: 288))
        #expect(Array(kernel.scalars.prefix(3)) == [0.0751734, 0.021139333, -0.86147016])
        #expect(abs(kernel.scalars.reduce(0) { $0 + Double($1) } - -7.04830865619806) < 1e-9)
        let variance = try weights.tensor("Conv_1_bn/moving_variance", shape: [1280], role: .runningVariance)
        #expect(abs(variance.scalars.reduce(0) { $0 + Double($1) } - 1486.8531435728073) < 1e-6)
    }

    @Test(.enabled(if: backbone != nil, "../shared/pretrained/mobilenetv2_imagenet160_backbone.weights.h5 is absent"))
    func aPartialSourceBuildsTheNetworkWithAFreshHead() throws {
        let weights = try openWeights(Self.backbone!, architecture: .mobileNetV2)
        let source = FallbackParameterSource(imported: weights, fallback: RandomParameterSource(seed: 7))
        _ = try Architecture.mobileNetV2.build(parameters: source, classes: 4)
        #expect(source.fallbackNames == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"])
        // Without the fallback, the missing head is a clear error.
        #expect(throws: WeightImportError.missingTensor(path: Self.backbone!.path, name: "dense/kernel")) {
            _ = try Architecture.mobileNetV2.build(parameters: weights, classes: 4)
        }
    }

    @Test(.enabled(if: backbone != nil, "../shared/pretrained/mobilenetv2_imagenet160_backbone.weights.h5 is absent"))
    func aKerasFileDoesNotLoadAsATorchvisionArchitecture() throws {
        #expect(throws: WeightImportError.self) { _ = try openWeights(Self.backbone!, architecture: .vgg16) }
        // The small CNN's layers are not in this file in the shapes it needs.
        let weights = try openWeights(Self.backbone!, architecture: .smallCNN)
        #expect(throws: WeightImportError.self) { _ = try Architecture.smallCNN.build(parameters: weights, classes: 4) }
    }
}
