import Determinism
import Foundation
import Models
import NN
import Tensors
import Testing
import Training
@testable import Explain

/// Grad-CAM through the training engine's backward pass, checked against a gradient computed
/// by hand (and by finite differences) on the small CNN's head.
@Suite("Grad-CAM")
struct GradCAMTests {
    /// A random `1 x side x side x 3` image.
    static func randomImage(side: Int, seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(shape: [1, side, side, 3]) { pointer in
            for i in 0..<(side * side * 3) { pointer[i] = Float(generator.next() >> 40) * 0x1p-24 * 2 - 1 }
        }
    }

    @Test("The map weighs channels by their mean gradient, keeps the positive part and scales it to a peak of 1")
    func mapByHand() throws {
        // 1 x 2 x 2 x 2: pixel p has channels (a0, a1); gradients chosen so that α = (1, -0.5).
        let activation = try Tensor(shape: [1, 2, 2, 2], values: [1, 0, 2, 2, 0, 4, 3, 1])
        let gradient = try Tensor(shape: [1, 2, 2, 2], values: [2, -1, 0, 0, 1, -1, 1, 0])
        let map = try GradCAM.map(activation: activation, gradient: gradient)
        // cam = ReLU(1·a0 − 0.5·a1) = (1, 1, −2 → 0, 2.5); peak 2.5.
        #expect(map.width == 2 && map.height == 2)
        #expect(map.peak == 2.5)
        #expect(map.values == [0.4, 0.4, 0, 1])
        #expect(throws: TensorError.self) { try GradCAM.map(activation: activation, gradient: Tensor(shape: [1, 2, 2, 1], repeating: 0)) }
    }

    @Test("The traced gradient of a logit equals the hand-computed one, and finite differences, on the small CNN's head")
    func gradientMatchesHandReference() throws {
        let classes = 4, side = 32
        let network = try makeTrainableNetwork(.smallCNN, classes: classes, inputSize: side, parameters: RandomParameterSource(seed: 7))
        let image = Self.randomImage(side: side, seed: 11)
        let traced = try network.lastSpatialGradient(image: image, classIndex: 2)
        // At 32 x 32 the last block with more than one pixel is the second max pool: 2 x 2 x 32.
        #expect(traced.activation.shape == [1, 2, 2, 32])
        #expect(traced.classIndex == 2)
        // The traced forward pass is the evaluation-mode one.
        let evaluated = try network.logits(image).scalars
        for (a, b) in zip(traced.logits, evaluated) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }

        // The head by hand, in Double: logits = W2ᵀ relu(W1ᵀ a + b1) + b2, a the flattened activation (H-W-C order).
        let byName = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.scalars.map(Double.init)) })
        let (w1, b1, w2, b2) = (byName["dense/kernel"]!, byName["dense/bias"]!, byName["dense_1/kernel"]!, byName["dense_1/bias"]!)
        let inputs = traced.activation.count, hidden = b1.count
        func head(_ a: [Double]) -> (logits: [Double], active: [Bool]) {
            var h = b1
            for i in 0..<inputs where a[i] != 0 { for j in 0..<hidden { h[j] += a[i] * w1[i * hidden + j] } }
            let active = h.map { $0 > 0 }
            var logits = b2
            for j in 0..<hidden where active[j] { for c in 0..<classes { logits[c] += h[j] * w2[j * classes + c] } }
            return (logits, active)
        }
        let a = traced.activation.scalars.map(Double.init)
        let (logits, active) = head(a)
        for c in 0..<classes { #expect(abs(logits[c] - Double(traced.logits[c])) <= 1e-3 * max(1, abs(logits[c]))) }
        // d logit_2 / d a_i = Σ_j W1[i, j] · 1[h_j > 0] · W2[j, 2].
        let expected = (0..<inputs).map { i in (0..<hidden).reduce(0.0) { $0 + (active[$1] ? w1[i * hidden + $1] * w2[$1 * classes + 2] : 0) } }
        let got = traced.gradient.scalars
        let scale = expected.map(abs).max()!
        #expect(scale > 0)
        for i in 0..<inputs { #expect(abs(Double(got[i]) - expected[i]) <= 1e-4 * scale, "element \(i)") }
        // Finite differences of the hand head agree too (away from ReLU kinks, the head is linear).
        for i in stride(from: 0, to: inputs, by: 13) {
            var plus = a, minus = a
            plus[i] += 1e-4
            minus[i] -= 1e-4
            let difference = (head(plus).logits[2] - head(minus).logits[2]) / 2e-4
            #expect(abs(difference - Double(got[i])) <= 1e-3 * scale, "element \(i)")
        }
        // And the map is Grad-CAM of that activation and gradient, computed here from scratch.
        let map = try GradCAM.map(activation: traced.activation, gradient: traced.gradient)
        let channels = 32
        let alpha = (0..<channels).map { k in (0..<4).reduce(0.0) { $0 + expected[$1 * channels + k] } / 4 }
        let raw = (0..<4).map { p in max(0, (0..<channels).reduce(0.0) { $0 + alpha[$1] * a[p * channels + $1] }) }
        let peak = raw.max()!
        for p in 0..<4 { #expect(abs(Double(map.values[p]) - (peak > 0 ? raw[p] / peak : 0)) <= 1e-4) }
        // Parameters are left as they were: trainable, with untouched gradients.
        let stillTrainable = network.parameters.filter { $0.role.isLearned }.allSatisfy { $0.isTrainable }
        let gradientsUntouched = network.parameters.allSatisfy { $0.gradient.scalars.allSatisfy { $0 == 0 } }
        #expect(stillTrainable)
        #expect(gradientsUntouched)
    }

    @Test("Every architecture is traced at its last convolutional block, and its logits are the evaluation ones",
          arguments: [(Architecture.smallCNN, 64, [4, 4, 32]), (.mobileNetV2, 64, [2, 2, 1280]), (.inceptionV3, 107, [2, 2, 2048])])
    func everyArchitecture(architecture: Architecture, side: Int, shape: [Int]) throws {
        let network = try makeTrainableNetwork(architecture, classes: 4, inputSize: side, parameters: RandomParameterSource(seed: 3))
        let image = Self.randomImage(side: side, seed: 5)
        let result = try GradCAM.explain(network, image: image, classIndex: nil)
        #expect(result.layerShape == shape)
        let evaluated = try network.logits(image).scalars
        for (a, b) in zip(result.logits, evaluated) { #expect(abs(a - b) <= 1e-3 * max(1, abs(b))) }
        #expect(result.classIndex == evaluated.indices.max { evaluated[$0] < evaluated[$1] })
        #expect(result.heatmap.values.allSatisfy { (0...1).contains($0) })
    }

    @Test("VGG16 is traced too (opt-in: ECG_EXPLAIN_LARGE=1; its classifier alone has 120 M parameters)",
          .enabled(if: ProcessInfo.processInfo.environment["ECG_EXPLAIN_LARGE"] == "1"))
    func vgg16() throws {
        let network = try makeTrainableNetwork(.vgg16, classes: 4, inputSize: 64, parameters: RandomParameterSource(seed: 3))
        let result = try GradCAM.explain(network, image: Self.randomImage(side: 64, seed: 5), classIndex: 1)
        // 64 / 32 = 2 x 2 features, then adaptive pooling to 7 x 7: the last spatial output.
        #expect(result.layerShape == [7, 7, 512])
        #expect(result.classIndex == 1)
    }

    @Test("A class outside the model's is refused")
    func classOutOfRange() throws {
        let network = try makeTrainableNetwork(.smallCNN, classes: 4, inputSize: 32, parameters: RandomParameterSource(seed: 1))
        #expect(throws: TraceError.self) { try network.lastSpatialGradient(image: Self.randomImage(side: 32, seed: 1), classIndex: 4) }
    }

    @Test("Spearman's rank correlation")
    func spearman() {
        #expect(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
        #expect(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        #expect(rankCorrelation([1, 1, 1], [1, 2, 3]) == nil)
        // Ties share their mean rank: ranks (1.5, 1.5, 3) against (1, 2, 3).
        #expect(abs(rankCorrelation([0, 0, 5], [1, 2, 3])! - 0.8660254) < 1e-6)
    }
}
