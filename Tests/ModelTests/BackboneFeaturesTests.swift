import Models
import NN
import Tensors
import Testing

/// The backbones `ecg features` caches: which architectures have one, and what it returns.
@Suite("Backbone feature maps")
struct BackboneFeaturesTests {
    @Test("MobileNetV2 and VGG16 expose their last feature map (1280 and 512 channels, after ReLU6 and ReLU); the others do not",
          arguments: Architecture.allCases)
    func featureMaps(architecture: Architecture) throws {
        let network = try architecture.build(parameters: RandomParameterSource(seed: 7), classes: 4, inputSize: 96)
        let channels: [Architecture: Int] = [.mobileNetV2: 1280, .vgg16: 512]
        guard let expected = channels[architecture] else {
            #expect(!(network is any BackboneFeatures), "\(architecture)")
            return
        }
        let backbone = try #require(network as? any BackboneFeatures)
        var generator = SystemRandomNumberGenerator()
        // Small pages: the backbones are fully convolutional, whatever size they were built for.
        let input = try Tensor(shape: [2, 64, 64, 3], values: (0..<(2 * 64 * 64 * 3)).map { _ in Float.random(in: -1...1, using: &generator) })
        let map = try backbone.featureMap(input)
        #expect(map.shape == [2, 2, 2, expected])  // both downsample by 32
        #expect(map.scalars.allSatisfy { $0 >= 0 && $0.isFinite })
        #expect(map.scalars.contains { $0 > 0 })
    }
}
