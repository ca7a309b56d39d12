import Determinism
import Testing
@testable import Checkpoints

@Suite("Converting between Float and 16-bit floats")
struct HalfConversionTests {
    #if !(os(macOS) && arch(x86_64))
    @Test("Every half-precision value widens exactly as Float16 does")
    func widenAllHalves() {
        for bits in UInt16.min ... UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = HalfConversion.float(fromHalf: bits)
            #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN), "bits \(bits)")
        }
    }

    @Test("Narrowing to half precision rounds as Float16 does, across the whole range")
    func narrowLikeFloat16() {
        var random = SplitMix64(seed: 16)
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519.996, 65520, 1e10, -1e10, .infinity, -.infinity,
                                0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 0x1.ffcp-15, 0x1.ffep-15, 0x1p-14,
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1 + 0x1p-11, 1 + 0x3p-11]
        for _ in 0 ..< 200_000 {
            samples.append(Float(bitPattern: UInt32.random(in: 0 ... .max, using: &random)))
        }
        for value in samples where !value.isNaN {
            #expect(HalfConversion.half(from: value) == Float16(value).bitPattern, "value \(value)")
        }
    }
    #endif

    @Test("NaN stays NaN through both 16-bit formats")
    func nanSurvives() {
        #expect(HalfConversion.float(fromHalf: HalfConversion.half(from: .nan)).isNaN)
        #expect(HalfConversion.float(fromBFloat16: HalfConversion.bfloat16(from: .nan)).isNaN)
        #expect(HalfConversion.float(fromBFloat16: HalfConversion.bfloat16(from: Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    @Test("Narrowing to bfloat16 rounds to nearest, ties to even")
    func bfloat16Rounding() {
        #expect(HalfConversion.bfloat16(from: 1) == 0x3F80)
        #expect(HalfConversion.bfloat16(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        #expect(HalfConversion.bfloat16(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(HalfConversion.bfloat16(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfConversion.bfloat16(from: .greatestFiniteMagnitude) == 0x7F80)
        #expect(HalfConversion.bfloat16(from: -.infinity) == 0xFF80)
    }
}
