import Foundation
import Models
import NN
import Testing
import Tensors

/// `ecg bench --layers`: the profiler's steps and their operation counts.
@Suite("Layer profile: one timed step per layer, and operation counts that add up to the architecture's")
struct LayerProfileTests {
    @Test("VGG16 at 32 px: 13 convolutions, 5 of them pooled, the head; its FLOPs are 1/49 of the 224-px convolutions' plus the head's")
    func vgg16Counts() throws {
        let network = try Architecture.vgg16.build(parameters: RandomParameterSource(seed: 3), classes: 4, inputSize: 32)
        let profiled = try #require(network as? any LayerProfiling)
        let input = Tensor(shape: [2, 32, 32, 3], repeating: 0.5)
        let steps = try profiled.layerTimes(input)
        let pooled = "conv 3x3/1+maxpool 2x2/2"
        // Layers with enough tiles for the threads (the first two here) say they run by Winograd, and by which algorithm.
        #expect(steps.map { $0.step.replacingOccurrences(of: #" winograd F\(.*\)"#, with: "", options: .regularExpression) } == ["conv 3x3/1", pooled, "conv 3x3/1", pooled]
                + Array(repeating: "conv 3x3/1", count: 2) + [pooled]
                + Array(repeating: "conv 3x3/1", count: 2) + [pooled]
                + Array(repeating: "conv 3x3/1", count: 2) + [pooled, "adaptive avgpool", "flatten", "dense", "dense", "dense"])
        #expect(steps.first?.outputShape == [2, 32, 32, 64])
        #expect(steps[1].outputShape == [2, 16, 16, 64])
        #expect(steps.last?.outputShape == [2, 4])
        #expect(steps.allSatisfy { $0.seconds >= 0 })
        // VGG16's convolutions at 224 px: 15,346,630,656 multiply-adds (Σ H·W·Cin·Cout·9), 49 times
        // those at 32 px; the head: 25088·1024 + 1024·512 + 512·4. Two FLOPs each, per image.
        let macs = 15_346_630_656 / 49 + 25088 * 1024 + 1024 * 512 + 512 * 4
        #expect(steps.reduce(0) { $0 + $1.flops } == Double(2 * 2 * macs))
    }

    @Test("MobileNetV2's fused blocks count their expansion, depthwise and projection: 0.599 GFLOP at 224 px")
    func mobileNetCounts() throws {
        let network = try Architecture.mobileNetV2.build(parameters: RandomParameterSource(seed: 3), classes: 4, inputSize: 224)
        let steps = try #require(network as? any LayerProfiling).layerTimes(Tensor(shape: [1, 224, 224, 3], repeating: 0.5))
        #expect(steps.filter { $0.step.hasPrefix("block") }.count == 17)
        // torchvision's mobilenet_v2: 300.8 M multiply-adds, 1.28 M of them in its 1280 → 1000
        // classifier, which this head (1280 → 128 → 4) replaces with 0.16 M.
        let flops = steps.reduce(0) { $0 + $1.flops }
        #expect(abs(flops - 2 * (300.8e6 - 1.28e6 + 0.164e6)) < 0.002 * flops, "\(flops)")
    }
}
