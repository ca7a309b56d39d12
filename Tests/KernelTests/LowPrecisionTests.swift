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
private let hasVNNI = KernelSet.cpuFeatures & Int32(ECG_CPU_AVX512_VNNI) != 0
private let skipNote: Comment = "this CPU lacks AVX-512 BF16 (it has: \(KernelSet.cpuFeatureNames)); the bf16 kernels are not run"
private let skipNoteVNNI: Comment = "this CPU lacks AVX-512 VNNI (it has: \(KernelSet.cpuFeatureNames)); only the portable int8 kernels are run"

/// The kernel sets that run `precision`'s tiles on this CPU, fastest first: avx512 where the CPU
/// has the instructions, and for int8 also portable (plain C, the same floats).
private func setsRunning(_ precision: Precision) -> [KernelSet] { KernelSet.supported.filter { precision.runs(on: $0) } }

/// The int8 tile sets this CPU runs: the VNNI one where it has it, and the portable one.
private var int8TileSets: [(name: String, tiles: Int8Tiles)] {
    setsRunning(.int8).map { ($0.rawValue, Tiles($0).int8!) }
}

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
        // Σ|x·w| per output: the reference convolution of |x| by |w|. Each operand is rounded by at
        // most 2⁻⁸ of itself (8 significant bits, to nearest), so each product by at most 2⁻⁷ (and
        // a hair): the bound on the sum. relu and relu6 do not widen it.
        try checkLowPrecisionConvolution(c, .bf16) { input, weight in
            conv2dNHWC_reference(absolute(input), weight: absolute(weight), bias: nil, stride: c.stride, padding: c.padding,
                                 groups: c.groups, activation: .identity).values.map { 0x1.02p-7 * $0 }
        }
    }

    @Test("With a kernel set other than avx512 a bf16 weight runs on its fp32 panels: the fp32 floats")
    func otherSetsRunFP32() throws { try checkOtherSetsRunFP32(.bf16) }
}

/// Runs `c` with its weight packed for `precision` on kernel set `set` and checks every output
/// against the fp32 reference within `bound(input, weight)` (one value per output, plus 1e-5), and
/// that it did not run in fp32 (some value differs from the fp32 convolution's). Returns the output.
@discardableResult
private func checkLowPrecisionConvolution(
    _ c: ConvCase, _ precision: Precision, on set: KernelSet = .avx512, sourceLocation: SourceLocation = #_sourceLocation,
    bound: (Tensor, Tensor) -> [Float]
) throws -> [Float] {
    let (input, weight, bias) = c.makeInputs()
    let (packed, got, fp32) = try KernelSet.with(set) {
        let packed = try ConvWeight(hwio: weight, groups: c.groups, precision: precision)
        return (packed, try input.conv2d(weight: packed, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation),
                try input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, groups: c.groups, activation: c.activation))
    }
    #expect(packed.packedPrecision == precision, sourceLocation: sourceLocation)
    let want = conv2dNHWC_reference(input, weight: weight, bias: bias, stride: c.stride, padding: c.padding,
                                    groups: c.groups, activation: c.activation)
    #expect(got.shape == want.shape, sourceLocation: sourceLocation)
    let (values, bounds) = (got.scalars, bound(input, weight))
    var worst: Float = 0, violations = 0
    for i in values.indices {
        let error = abs(values[i] - want.values[i]), limit = bounds[i] + 1e-5
        worst = max(worst, error / limit)
        if error > limit { violations += 1 }
    }
    #expect(violations == 0, "\(precision) \(c.testDescription): \(violations) values outside the bound; worst at \(worst) of it",
            sourceLocation: sourceLocation)
    #expect(values != fp32.scalars, "\(precision) \(c.testDescription): the weight ran in fp32", sourceLocation: sourceLocation)
    return values
}

/// With every runnable kernel set that lacks `precision`'s tiles, a weight packed for it (here, on
/// a set that has them) gives the fp32 floats.
private func checkOtherSetsRunFP32(_ precision: Precision) throws {
    let c = BF16Tests.cases[0]
    let (input, weight, bias) = c.makeInputs()
    let running = setsRunning(precision)
    let packed = try KernelSet.with(running.first ?? .portable) { try ConvWeight(hwio: weight, groups: c.groups, precision: precision) }
    for set in KernelSet.supported where !running.contains(set) {
        try KernelSet.with(set) {
            let got = try input.conv2d(weight: packed, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation)
            let fp32 = try input.conv2d(weight: weight, bias: bias, stride: c.stride, padding: c.padding, activation: c.activation)
            #expect(got.scalars == fp32.scalars, "\(precision) weight under \(set)")
        }
    }
}

@Test("Precision: fp32 is always available; bf16 and int8 fall back to fp32, with a note, exactly where the CPU lacks their instructions (int8 also runs on the portable kernels)")
func precisionFallback() throws {
    #expect(Precision.fp32.available == .fp32 && Precision.fp32.fallbackNote(model: "m") == nil)
    #expect(Precision.bf16.available == (hasBF16 ? .bf16 : .fp32))
    #expect((Precision.bf16.fallbackNote(model: "m") == nil) == hasBF16)
    // Packing for bf16 on a CPU without it keeps only the fp32 panels.
    let weight = try ConvWeight(hwio: randomTensor([3, 3, 32, 16], seed: 1), precision: .bf16)
    #expect(weight.packedPrecision == (hasBF16 ? .bf16 : .fp32))
    // int8: where the CPU has VNNI, or on the portable kernels (plain C) on any CPU.
    for set in KernelSet.supported {
        try KernelSet.with(set) {
            let runs = hasVNNI || set == .portable
            #expect(Precision.int8.available == (runs ? .int8 : .fp32), "\(set)")
            #expect((Precision.int8.fallbackNote(model: "m") == nil) == runs, "\(set)")
            let packed = try ConvWeight(hwio: randomTensor([1, 1, 40, 16], seed: 2), precision: .int8)
            #expect(packed.packedPrecision == (runs ? .int8 : .fp32), "\(set)")
        }
    }
    if !hasBF16 { print("LowPrecisionTests: \(skipNote)") }
    if !hasVNNI { print("LowPrecisionTests: \(skipNoteVNNI)") }
}

// MARK: - int8

/// `round(x · 127 / largest)` for each of `values`, as `ecg_quantize_*` define it (fp32 arithmetic,
/// ties to even), and the scale `largest / 127`.
private func quantized(_ values: [Float]) -> (values: [Float], scale: Float) {
    let largest = values.reduce(Float(0)) { max($0, abs($1)) }
    let inverse = largest > 0 ? 127 / largest : 0
    return (values.map { ($0 * inverse).rounded(.toNearestOrEven) }, largest / 127)
}

/// The int8 tile's answer from the definitions: A quantized per row, B per column, the integer
/// products summed in Double and scaled. Layouts as `referenceBF16Tile`'s.
private func referenceInt8Tile(depth: Int, a: [Float], b: [Float], width: Int, c: [Float], ldc: Int) -> [Float] {
    let rows = (0..<12).map { r in quantized((0..<depth).map { a[$0 * 12 + r] }) }
    let columns = (0..<width).map { j in quantized((0..<depth).map { b[$0 * width + j] }) }
    var result = c
    for r in 0..<12 {
        for j in 0..<width {
            var sum = 0.0
            for p in 0..<depth { sum += Double(rows[r].values[p]) * Double(columns[j].values[p]) }
            result[r * ldc + j] = Float(sum * Double(rows[r].scale) * Double(columns[j].scale))
        }
    }
    return result
}

/// The int8 tiles (AVX-512 VNNI where the CPU has it, and the portable ones everywhere) and the
/// int8 convolution path against naive references, and the two tile sets against each other.
/// Serialized: the kernel set in use is process-wide.
@Suite("int8 kernels: quantization, tiles and convolutions against references", .serialized)
struct Int8Tests {
    @Test("The A quantizers and ecg_quantize_s8 scale by largest magnitude / 127 into quads of rows, zero past the depth")
    func quantizationMatchesTheDefinition() {
        for depth in [1, 6, 8, 13] {
            let panel = randomValues(depth * 12, seed: UInt64(depth))
            for (name, tiles) in int8TileSets {
                var bytes = [UInt8](repeating: 0, count: (depth + 3) / 4 * 48), scales = [Float](repeating: 0, count: 12)
                panel.withUnsafeBufferPointer { p in
                    bytes.withUnsafeMutableBufferPointer { tiles.quantize(Int64(depth), p.baseAddress, $0.baseAddress, &scales) }
                }
                for r in 0..<12 {
                    let (values, scale) = quantized((0..<depth).map { panel[$0 * 12 + r] })
                    #expect(scales[r] == scale, "\(name) depth \(depth) row \(r) scale")
                    for p in 0..<(depth + 3) / 4 * 4 {
                        let want = p < depth ? UInt8(Int(values[p]) + 128) : 128
                        #expect(bytes[(p / 4 * 12 + r) * 4 + p % 4] == want, "\(name) depth \(depth) row \(r) value \(p)")
                    }
                }
            }
            let width = 20
            let weights = randomValues(depth * width, seed: UInt64(depth + 50))
            var signed = [Int8](repeating: 1, count: (depth + 3) / 4 * width * 4)
            var columnScales = [Float](repeating: 0, count: width), sums = [Int32](repeating: 0, count: width)
            weights.withUnsafeBufferPointer { w in
                signed.withUnsafeMutableBufferPointer { ecg_quantize_s8(Int64(depth), Int64(width), w.baseAddress, $0.baseAddress, &columnScales, &sums) }
            }
            for j in 0..<width {
                let (values, scale) = quantized((0..<depth).map { weights[$0 * width + j] })
                #expect(columnScales[j] == scale && sums[j] == Int32(values.reduce(0, +)), "depth \(depth) column \(j)")
                for p in 0..<(depth + 3) / 4 * 4 {
                    #expect(signed[(p / 4 * width + j) * 4 + p % 4] == (p < depth ? Int8(values[p]) : 0), "depth \(depth) column \(j) value \(p)")
                }
            }
        }
    }

    @Test("The 12x32 and 12x16 int8 tiles match the quantized product (exact integer sums, fp32 scaling), for depths 1 to 4608; every set gives the same floats")
    func tilesMatchReference() {
        for width in [32, 16] {
            for depth in [1, 3, 4, 64, 513, 4608] {
                let ldc = width + 5  // C rows wider than the tile: only the tile may change
                let a = randomValues(depth * 12, seed: UInt64(depth), in: 0...2)  // post-ReLU-like, and signed below
                let a2 = a.enumerated().map { $0.offset % 3 == 0 ? -$0.element : $0.element }
                let b = randomValues(depth * width, seed: UInt64(depth + 1000))
                let c0 = randomValues(12 * ldc, seed: 7)
                let expected = referenceInt8Tile(depth: depth, a: a2, b: b, width: width, c: c0, ldc: ldc)
                let quads = (depth + 3) / 4
                var packedB = [Int8](repeating: 0, count: quads * width * 4)
                var columnScales = [Float](repeating: 0, count: width), sums = [Int32](repeating: 0, count: width)
                b.withUnsafeBufferPointer { p in
                    packedB.withUnsafeMutableBufferPointer {
                        ecg_quantize_s8(Int64(depth), Int64(width), p.baseAddress, $0.baseAddress, &columnScales, &sums)
                    }
                }
                var outputs: [[Float]] = []
                for (name, tiles) in int8TileSets {
                    var packedA = [UInt8](repeating: 0, count: quads * 48), rowScales = [Float](repeating: 0, count: 12)
                    a2.withUnsafeBufferPointer { p in
                        packedA.withUnsafeMutableBufferPointer { tiles.quantize(Int64(depth), p.baseAddress, $0.baseAddress, &rowScales) }
                    }
                    var c = c0
                    let function = width == 32 ? tiles.wide : tiles.narrow
                    packedA.withUnsafeBufferPointer { a in
                        packedB.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                function(Int64(quads), a.baseAddress, b.baseAddress, c.baseAddress, Int64(ldc), rowScales, columnScales, sums)
                            }
                        }
                    }
                    // The sums are exact; the scaling rounds three times in fp32.
                    checkClose(c, expected, atol: 1e-5, rtol: 4e-7 * 4, "\(name) int8 12x\(width) depth \(depth)")
                    outputs.append(c)
                }
                #expect(outputs.allSatisfy { $0 == outputs[0] }, "12x\(width) depth \(depth): the int8 tile sets differ")
            }
        }
    }

    @Test("An int8 convolution is within its quantization bound of the fp32 reference on every set with int8 tiles, with the same floats on each",
          arguments: BF16Tests.cases)
    func convolutionWithinBound(_ c: ConvCase) throws {
        var outputs: [[Float]] = []
        for set in setsRunning(.int8) { outputs.append(try int8Convolution(c, on: set)) }
        #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(c.testDescription): the int8 kernel sets differ")
    }

    /// Each activation moves by at most half its patch's scale (≤ max|x| / 254), each weight by
    /// half its channel's (≤ max|w| / 254): the error of Σ x·w is at most
    /// max|x|/254 · Σ|w| + max|w|/254 · Σ|x| + n · max|x| · max|w| / 254², per output.
    private func int8Convolution(_ c: ConvCase, on set: KernelSet) throws -> [Float] {
        try checkLowPrecisionConvolution(c, .int8, on: set) { input, weight in
            let (xMax, wMax) = (input.scalars.map(abs).max()!, weight.scalars.map(abs).max()!)
            let ones = try! Tensor(shape: weight.shape, values: [Float](repeating: 1, count: weight.count))
            let patchSums = conv2dNHWC_reference(absolute(input), weight: ones, bias: nil, stride: c.stride, padding: c.padding,
                                                 groups: c.groups, activation: .identity).values
            let outputChannels = weight.shape[3], n = weight.shape[0] * weight.shape[1] * weight.shape[2]
            let columnSums = (0..<outputChannels).map { j in
                stride(from: j, to: weight.count, by: outputChannels).reduce(Float(0)) { $0 + abs(weight.scalars[$1]) }
            }
            return patchSums.indices.map { i in
                xMax / 254 * columnSums[i % outputChannels] + wMax / 254 * patchSums[i] + Float(n) * xMax * wMax / (254 * 254)
            }
        }
    }

    @Test("With a kernel set without int8 tiles (avx2) an int8 weight runs on its fp32 panels: the fp32 floats")
    func otherSetsRunFP32() throws { try checkOtherSetsRunFP32(.int8) }
}

@Test("The fused depthwise + pointwise block gives the separate layers' floats with bf16 and int8 pointwise weights, on each set with their tiles",
      arguments: [Precision.bf16, .int8])
func fusedBlockMatchesSeparateLayers(_ precision: Precision) throws {
    let x = randomTensor([2, 9, 10, 48], seed: 3)
    let depthwise = try ConvWeight(hwio: randomTensor([3, 3, 1, 48], seed: 4), groups: 48)
    let (db, pb) = (randomTensor([48], seed: 6), randomTensor([40], seed: 7))
    let residual = randomTensor([2, 9, 10, 40], seed: 8)
    for set in setsRunning(precision) {
        try KernelSet.with(set) {
            let pointwise = try ConvWeight(hwio: randomTensor([1, 1, 48, 40], seed: 5), precision: precision)
            #expect(pointwise.packedPrecision == precision)
            let fused = try x.depthwisePointwise(
                depthwise: depthwise, depthwiseBias: db, stride: (1, 1), padding: .same, depthwiseActivation: .relu6,
                pointwise: pointwise, pointwiseBias: pb, pointwiseActivation: .identity, residual: residual)
            let middle = try x.conv2d(weight: depthwise, bias: db, padding: .same, activation: .relu6)
            let separate = try middle.conv2d(weight: pointwise, bias: pb).adding(residual)
            checkClose(fused.scalars, separate.scalars, atol: 1e-5, rtol: 1e-5, "\(precision) on \(set)")
        }
    }
}

@Test("The fused convolution + max pool gives the separate layers' floats with bf16 and int8 weights (VGG16's kind of layer), on each set with their tiles",
      arguments: [Precision.bf16, .int8])
func fusedConvMaxPoolMatchesSeparateLayers(_ precision: Precision) throws {
    let x = randomTensor([2, 12, 30, 32], seed: 9)
    let bias = randomTensor([48], seed: 11)
    for set in setsRunning(precision) {
        try KernelSet.with(set) {
            let weight = try ConvWeight(hwio: randomTensor([3, 3, 32, 48], seed: 10), precision: precision)
            #expect(weight.packedPrecision == precision)
            let fused = try x.conv2dMaxPool(weight: weight, bias: bias, stride: (1, 1), padding: .same, activation: .relu,
                                            poolKernel: (2, 2), poolStride: (2, 2))
            let separate = try x.conv2d(weight: weight, bias: bias, padding: .same, activation: .relu)
                .maxPool2d(kernel: (2, 2), stride: (2, 2))
            #expect(fused.shape == separate.shape)
            #expect(fused.scalars == separate.scalars, "\(precision) on \(set)")
        }
    }
}
