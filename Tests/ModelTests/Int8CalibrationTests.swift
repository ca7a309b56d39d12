import Determinism
import Foundation
import Kernels
import Models
import NN
import Testing
import Tensors

/// `count` values uniform in [-1, 1] from `seed`.
private func uniform(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
}

/// int8 calibration: each convolution's signal-to-noise ratio measured in int8 from the fp32
/// network's own inputs, and int8 kept to the layers at or above the bar. The int8 layers run on
/// the portable int8 tiles where the CPU lacks AVX-512 VNNI (the same floats), so this runs anywhere.
@Suite("int8 calibration: per-layer signal-to-noise, and fp32 for the layers below the bar", .serialized)
struct Int8CalibrationTests {
    @Test("Measuring gives the fp32 answers and one ratio for every convolution but the depthwise ones, in the order run")
    func measuresMobileNetV2() throws {
        let network = try Architecture.mobileNetV2.build(parameters: RandomParameterSource(seed: 5), classes: 4, inputSize: 64)
        let input = try Tensor(shape: [2, 64, 64, 3], values: uniform(2 * 64 * 64 * 3, seed: 6))
        let ops = Int8CalibrationOps()
        let (plain, measured) = (try network(input), try network(input, ops: ops))
        #expect(plain.shape == measured.shape)
        // The blocks inference fuses run as separate layers here: the same sums in another order.
        #expect(zip(plain.scalars, measured.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) })
        let specs = try Architecture.mobileNetV2.layerSpecs(classes: 4, inputSize: 64)
        let convolutions = specs.compactMap { spec -> String? in
            guard case let .conv(conv) = spec, conv.layout != .depthwise else { return nil }
            return conv.weight.name
        }
        #expect(ops.layers.map(\.name) == convolutions)
        #expect(ops.layers.count == 35)
        for layer in ops.layers {
            #expect(layer.signal > 0 && layer.multiplyAdds > 0, "\(layer.name)")
            if layer.name == "Conv1/kernel" {
                // The 3-channel stem keeps its fp32 tiles: only float rounding differs.
                #expect(!layer.int8Applies, "\(layer.name): \(layer.signalToNoise) dB")
            } else {
                #expect(layer.int8Applies && (20...80).contains(layer.signalToNoise), "\(layer.name): \(layer.signalToNoise) dB")
            }
        }
        let calibration = ops.calibration(minimum: 40)
        #expect(calibration.signalToNoise.count == 35 && calibration.minimumSignalToNoise == 40)
        #expect(calibration.signalToNoise["block_1_expand/kernel"] == ops.layers[2].signalToNoise)
    }

    @Test("A layer whose columns each hold one large weight measures lower than the same layer without them")
    func outliersLowerTheRatio() throws {
        let (channels, filters) = (64, 32)
        let input = try Tensor(shape: [1, 8, 8, channels], values: uniform(8 * 8 * channels, seed: 1).map { max(0, $0) })
        var values = uniform(channels * filters, seed: 2)
        let plain = try Conv2D(weight: Tensor(shape: [1, 1, channels, filters], values: values), bias: nil, name: "plain")
        for j in 0..<filters { values[(j % channels) * filters + j] *= 40 }  // row j % C of column j
        let spiked = try Conv2D(weight: Tensor(shape: [1, 1, channels, filters], values: values), bias: nil, name: "spiked")
        let ops = Int8CalibrationOps()
        let (a, b) = (try ops.conv(input, plain), try ops.conv(input, spiked))
        let (wantA, wantB) = (try plain(input), try spiked(input))
        #expect(a.scalars == wantA.scalars && b.scalars == wantB.scalars, "the fp32 outputs")
        let ratios = Dictionary(uniqueKeysWithValues: ops.layers.map { ($0.name, $0.signalToNoise) })
        let (clean, noisy) = (try #require(ratios["plain"]), try #require(ratios["spiked"]))
        // One weight 40 times the others sets its column's scale, so the rest are quantized 40 times
        // more coarsely; the output grows by less than its noise (here 45.4 dB against 36.3).
        #expect(clean > 35 && noisy < clean - 6, "plain \(clean) dB, spiked \(noisy) dB")
    }

    @Test("The layer factory packs int8 only for measured layers at or above the bar")
    func factoryFollowsTheCalibration() throws {
        let calibration = Int8Calibration(signalToNoise: ["high/kernel": 45, "low/kernel": 30, "edge/kernel": 40], minimumSignalToNoise: 40)
        #expect(calibration.runsInt8("high/kernel") && calibration.runsInt8("edge/kernel"))
        #expect(!calibration.runsInt8("low/kernel") && !calibration.runsInt8("unmeasured/kernel"))
        func precision(_ name: String, _ requested: Precision, _ calibration: Int8Calibration?) throws -> Precision {
            let factory = InferenceLayerFactory(source: RandomParameterSource(seed: 1), precision: requested, int8Calibration: calibration)
            let layer = try factory.conv(.keras(name, inputChannels: 48, filters: 16, kernel: (1, 1), padding: .valid))
            #expect(layer.name == "\(name)/kernel")
            return layer.convWeight.packedPrecision
        }
        let packed = try KernelSet.with(.portable) {
            [try precision("high", .int8, calibration), try precision("edge", .int8, calibration),
             try precision("low", .int8, calibration), try precision("unmeasured", .int8, calibration),
             try precision("low", .int8, nil), try precision("high", .fp32, calibration)]
        }
        // Without a calibration every layer that can runs in int8; fp32 asked for is fp32.
        #expect(packed == [.int8, .int8, .fp32, .fp32, .int8, .fp32])
    }

    @Test("A calibration file round-trips, infinite ratios included; a file of another kind is refused with its path")
    func fileRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("int8-calibration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.int8.json")
        let file = Int8CalibrationFile(model: "m", images: 12, data: "train", calibration: Int8Calibration(
            signalToNoise: ["a/kernel": 41.25, "stem/kernel": .infinity], minimumSignalToNoise: 38))
        try file.write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains(#""format" : "ecglens-int8-calibration""#) && text.contains(#""stem/kernel" : "inf""#))
        #expect(try Int8CalibrationFile(contentsOf: url) == file)
        #expect(try Int8CalibrationFile(contentsOf: url).calibration.runsInt8("a/kernel"))

        let other = directory.appendingPathComponent("other.json")
        try Data(#"{"format": "something-else", "model": "m", "images": 1, "data": "d", "minimum_signal_to_noise_db": 40, "signal_to_noise_db": {}}"#.utf8).write(to: other)
        #expect(throws: Int8CalibrationError.self) { try Int8CalibrationFile(contentsOf: other) }
        do { _ = try Int8CalibrationFile(contentsOf: other) } catch { #expect("\(error)".contains(other.path) && "\(error)".contains("something-else")) }
        let garbage = directory.appendingPathComponent("garbage.json")
        try Data("not json".utf8).write(to: garbage)
        do { _ = try Int8CalibrationFile(contentsOf: garbage); Issue.record("accepted garbage") } catch { #expect("\(error)".contains(garbage.path)) }
        let missing = directory.appendingPathComponent("missing.json")
        do { _ = try Int8CalibrationFile(contentsOf: missing); Issue.record("accepted a missing file") } catch { #expect("\(error)".contains(missing.path)) }
    }
}
