import Determinism
import Foundation
import Models
import Tensors
import Testing
@testable import WeightImport

/// Deterministic mutations of the real fixtures (flipped bytes, overwritten sizes, cut files),
/// each opened and fully read: every one must load or fail with a `WeightImportError`, never
/// crash or hang. Bounded to a few seconds for CI.
@Suite struct FuzzTests {
    static let cases: [(file: String, architecture: Architecture, inputSize: Int?)] = [
        ("small_cnn_64.keras", .smallCNN, 64), ("small_cnn_64.weights.h5", .smallCNN, 64),
        ("small_cnn_64_legacy.h5", .smallCNN, 64), ("small_cnn_64_legacy_weights.h5", .smallCNN, 64),
        ("small_cnn_64_nested.keras", .smallCNN, 64),
        ("vgg16_state_dict.pth", .vgg16, nil), ("vgg16_state_dict_legacy.pth", .vgg16, nil),
        ("inceptionv3_imagenet_layout_legacy.pth", .inceptionV3, nil),
        ("inceptionv3_model_f16.pth", .inceptionV3, nil),
    ]

    /// Mutants per file: 120 in CI, or `ECG_IMPORT_FUZZ_MUTANTS` for a longer run.
    static let mutants = ProcessInfo.processInfo.environment["ECG_IMPORT_FUZZ_MUTANTS"].flatMap { Int($0) } ?? 120

    @Test(arguments: 0..<cases.count)
    func mutatedFilesFailCleanly(_ index: Int) throws {
        let (name, architecture, inputSize) = Self.cases[index]
        let original = try [UInt8](Data(contentsOf: Fixtures.url(name)))
        let parameters = try architecture.parameterList(classes: 4, inputSize: inputSize)
        var random = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9)
        var outcomes = (loaded: 0, refused: 0)
        for _ in 0..<Self.mutants {
            let mutant = Self.mutate(original, using: &random)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(mutant.count, 1), alignment: 16)
            buffer.copyBytes(from: mutant)
            let bytes = LoadedBytes(adopting: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<mutant.count]), path: name)
            do {
                let weights = try openWeights(bytes, architecture: architecture, classes: 4, inputSize: inputSize)
                for (parameter, shape) in parameters where shape.reduce(1, *) <= 1 << 20 && weights.contains(parameter) {
                    if try weights.shape(of: parameter) == shape { _ = try weights.tensor(parameter, shape: shape, role: .bias) }
                }
                outcomes.loaded += 1
            } catch is WeightImportError {
                outcomes.refused += 1
            }
        }
        // The mutations reach the structures, not only the weight bytes; and outside zip archives
        // (whose CRC checks refuse any change) some mutants still load.
        #expect(outcomes.refused > 0)
        if !original.starts(with: Array("PK".utf8)) { #expect(outcomes.loaded > 0) }
        #expect(outcomes.loaded + outcomes.refused == Self.mutants)
    }

    /// One to four changes near the file's structures: its first and last 4 KiB, half the time.
    static func mutate(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard bytes.count > 16 else { break }
            let window = min(4096, bytes.count)
            let position: Int = switch Int.random(in: 0..<4, using: &random) {
            case 0: Int.random(in: 0..<window, using: &random)
            case 1: bytes.count - 1 - Int.random(in: 0..<window, using: &random)
            default: Int.random(in: 0..<bytes.count, using: &random)
            }
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 2: for i in position..<min(position + 8, bytes.count) { bytes[i] = 0xFF }
            case 3: for i in position..<min(position + 4, bytes.count) { bytes[i] = 0 }
            default: bytes.removeSubrange(position...)
            }
        }
        return bytes
    }
}
