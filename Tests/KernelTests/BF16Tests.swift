import CKernels
import Foundation
@testable import Kernels
import Testing
import Tensors

// MARK: - Reference

/// `x` rounded to bfloat16 (fp32's top 16 bits), to nearest, ties to even: from the format's
/// definition, independent of `ecg_pack_bf16`. Finite inputs only.
private func bf16(_ x: Float) -> Float {
    let bits = x.bitPattern
    let rounded = (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000
    return Float(bitPattern: rounded)
}

/// `C = A · B` (or `C + A · B`) for one tile with both operands rounded to bfloat16, in Double:
/// A packed as `a[p · 12 + r]`, B as `b[p · width + j]` (the fp32 layouts), C rows `ldc` apart.
private func referenceBF16Tile(depth: Int, a: [Float], b: [Float], width: Int, c: [Float], ldc: Int, accumulate: Bool) -> [Float] {
    var result = c
    for r in 0..<12 {
        for j in 0..<width {
            var sum = 0.0
            for p in 0..<depth { sum += Double(bf16(a[p * 12 + r])) * Double(bf16(b[p * width + j])) }
            result[r * ldc + j] = Float((accumulate ? Double(c[r * ldc + j]) : 0) + sum)
        }
    }
    return result
}

/// `|x|`, elementwise.
private func absolute(_ x: Tensor) -> Tensor { try! Tensor(shape: x.shape, values: x.scalars.map { abs($0) }) }

/// `ecg_pack_bf16` of a `depth x width` panel.
private func packBF16(_ panel: [Float], depth: Int, width: Int) -> [UInt16] {
    var out = [UInt16](repeating: 0xffff, count: (depth + 1) / 2 * width * 2)
    panel.withUnsafeBufferPointer { p in
        out.withUnsafeMutableBufferPointer { ecg_pack_bf16(Int64(depth), Int64(width), p.baseAddress, $0.baseAddress) }
    }
    return out
}

private let hasBF16 = Precision.bf16.isSupported
private let skipNote: Comment = "this CPU lacks AVX-512 BF16 (it has: \(KernelSet.cpuFeatureNames)); the bf16 kernels are not run"

/// The AVX-512 BF16 tiles and the bf16 convolution path, each against a naive reference, llm.c
/// style. Skipped, with a note, on a CPU without AVX-512 BF16. Serialized: the kernel set in use
/// is process-wide.
@Suite("bf16 kernels: packing, tiles and convolutions against references", .serialized, .enabled(if: hasBF16, skipNote))
struct BF16Tests {
    @Test("ecg_pack_bf16 rounds to nearest even into pairs of rows, with a zero row after an odd depth")
    func packingMatchesTheDefinition() {
        for (depth, width) in [(1, 12), (7, 12), (8, 32), (5, 16), (3, 20)] {
            let panel = randomValues(depth * width, seed: UInt64(depth * 100 + width))
            let packed = packBF16(panel, depth: depth, width: width)
            var expected = [UInt16](repeating: 0, count: packed.count)
            for p in 0..<depth {
                for j in 0..<width { expected[(p / 2 * width + j) * 2 + p % 2] = UInt16(bf16(panel[p * width + j]).bitPattern >> 16) }
            }
            #expect(packed == expected, "depth \(depth) width \(width)")
        }
        // Ties go to even: 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷; 1 + 3·2⁻⁸ between 1 + 2⁻⁷ and 1 + 2⁻⁶.
        let ties: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8]
        #expect(packBF16(ties, depth: 2, width: 1) == [0x3f80, 0x3f82])
    }

    @Test("The 12x32 and 12x16 bf16 tiles match the bf16-rounded product to fp32 summation error, for depths 1 to 600")
    func tilesMatchReference() {
        let tiles = BF16Tiles()
        for width in [32, 16] {
            for depth in [1, 2, 7, 64, 513, 600] {
                for accumulate in [false, true] {
                    let ldc = width + 5  // C rows wider than the tile: only the tile may change
                    let a = randomValues(depth * 12, seed: UInt64(depth))
                    let b = randomValues(depth * width, seed: UInt64(depth + 1000))
                    var c = randomValues(12 * ldc, seed: 7)
                    let expected = referenceBF16Tile(depth: depth, a: a, b: b, width: width, c: c, ldc: ldc, accumulate: accumulate)
                    let (packedA, packedB) = (packBF16(a, depth: depth, width: 12), packBF16(b, depth: depth, width: width))
                    let function = width == 32 ? tiles.wide : tiles.narrow
                    packedA.withUnsafeBufferPointer { a in
                        packedB.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                function(Int64((depth + 1) / 2), a.baseAddress, b.baseAddress, c.baseAddress, Int64(ldc), accumulate ? 1 : 0)
                            }
                        }
                    }
                    // Products of two bf16 values are exact in fp32: only the fp32 sums differ.
                    checkClose(c, expected, atol: Float(depth).squareRoot() * 1e-5, rtol: 1e-5,
                               "bf16 12x\(width) depth \(depth)\(accumulate ? " accumulating" : "")")
                }
            }
        }
    }

    static let cases = [
        ConvCase(height: 20, width: 20, channels: 72, outputChannels: 40, kernel: (3, 3), padding: .same, activation: .relu),
        ConvCase(batch: 2, height: 9, width: 14, channels: 65, outputChannels: 48, kernel: (3, 3), padding: .same),
        ConvCase(height: 7, width: 6, channels: 33, outputChannels: 16, kernel: (3, 3), stride: (2, 2), activation: .relu6),
        ConvCase(height: 5, width: 7, channels: 40, outputChannels: 80, kernel: (1, 1)),
        ConvCase(height: 6, width: 7, channels: 64, outputChannels: 32, kernel: (3, 3), padding: .same, groups: 2, activation: .relu),
        ConvCase(batch: 3, height: 4, width: 4, channels: 32, outputChannels: max(128, 64 * kernelThreadCount), kernel: (3, 3),
                 padding: .same, bias: false),
    ]

    @Test("A bf16 convolution is within bf16's rounding bound of the fp32 reference: |got − want| ≤ 2⁻⁷·Σ|x·w|",
          arguments: cases)
    func convolutionWithinBound(_ c: ConvCase) throws {
        let (input, weight, bias) = c.makeInputs()
        let packed = try ConvWeight(hwio: weight, groups: c.groups, precision: .bf16)
        #expect(packed.hasBF16Panels)
        let (got, fp32) = try KernelSet.with(.avx512) {
            (try input.conv2d(weight: packed, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation),
             try input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, groups: c.groups, activation: c.activation))
        }
        let want = conv2dNHWC_reference(input, weight: weight, bias: bias, stride: c.stride, padding: c.padding,
                                        groups: c.groups, activation: c.activation)
        // Σ|x·w| per output: the reference convolution of |x| by |w|. Each operand is rounded by at
        // most 2⁻⁸ of itself (8 significant bits, to nearest), so each product by at most 2⁻⁷ (and
        // a hair): the bound on the sum. relu and relu6 do not widen it.
        let magnitude = conv2dNHWC_reference(absolute(input), weight: absolute(weight), bias: nil,
                                             stride: c.stride, padding: c.padding, groups: c.groups, activation: .identity)
        #expect(got.shape == want.shape)
        let values = got.scalars
        var worst: Float = 0, violations = 0
        for i in values.indices {
            let bound = 0x1.02p-7 * magnitude.values[i] + 1e-5
            worst = max(worst, abs(values[i] - want.values[i]) / bound)
            if abs(values[i] - want.values[i]) > bound { violations += 1 }
        }
        #expect(violations == 0, "\(c.testDescription): \(violations) values outside the bound; worst at \(worst) of it")
        // It really ran in bf16: some values differ from the fp32 convolution's.
        #expect(values != fp32.scalars, "\(c.testDescription): the bf16 weight ran in fp32")
    }

    @Test("With a kernel set other than avx512 a bf16 weight runs on its fp32 panels: the fp32 floats")
    func otherSetsRunFP32() throws {
        let c = Self.cases[0]
        let (input, weight, bias) = c.makeInputs()
        let packed = try ConvWeight(hwio: weight, groups: c.groups, precision: .bf16)
        for set in KernelSet.supported where set != .avx512 {
            try KernelSet.with(set) {
                let got = try input.conv2d(weight: packed, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation)
                let fp32 = try input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation)
                #expect(got.scalars == fp32.scalars, "\(set)")
            }
        }
    }
}

@Test("Precision: fp32 is always available; bf16 falls back to fp32, with a note, exactly where the CPU lacks AVX-512 BF16")
func precisionFallback() throws {
    #expect(Precision.fp32.available == .fp32 && Precision.fp32.fallbackNote(model: "m") == nil)
    #expect(Precision.bf16.available == (hasBF16 ? .bf16 : .fp32))
    #expect((Precision.bf16.fallbackNote(model: "m") == nil) == hasBF16)
    // Packing for bf16 on a CPU without it keeps only the fp32 panels.
    let weight = try ConvWeight(hwio: randomTensor([3, 3, 32, 16], seed: 1), precision: .bf16)
    #expect(weight.hasBF16Panels == hasBF16)
    if !hasBF16 { print("BF16Tests: \(skipNote)") }
}
