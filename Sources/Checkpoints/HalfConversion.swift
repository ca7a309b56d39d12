/// Conversions between `Float` and the 16-bit float formats, by bit manipulation.
///
/// Done in software rather than with `Float16` because `Float16` is unavailable on Intel Macs.
/// Narrowing rounds to nearest, ties to even, as hardware and `Float16(_:)` do.
public enum HalfConversion {
    /// Widens IEEE 754 half-precision bits to a `Float` (exact).
    public static func float(fromHalf half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa x 2^-24, exact in a Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Narrows a `Float` to IEEE 754 half-precision bits; values beyond ±65504 become infinities.
    static func half(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            // Infinity stays infinity; NaN stays a (quiet) NaN.
            return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200 | UInt16(mantissa >> 13))
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F {
            return sign | 0x7C00
        }
        if halfExponent <= 0 {
            // Subnormal half (or zero): the value in units of 2^-24, rounded.
            guard halfExponent >= -10 else { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            return sign | UInt16(roundedShift(significand, by: shift))
        }
        // A carry out of the mantissa correctly bumps the exponent, up to infinity.
        let truncated = UInt32(halfExponent) << 10 | mantissa >> 13
        return sign | UInt16(truncated + roundingIncrement(remainder: mantissa & 0x1FFF, halfway: 0x1000, kept: truncated))
    }

    /// Widens bfloat16 bits to a `Float` (exact: they are its upper half).
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows a `Float` to bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.
    static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return UInt16(bits >> 16) | 0x40
        }
        let truncated = bits >> 16
        return UInt16(truncated + roundingIncrement(remainder: bits & 0xFFFF, halfway: 0x8000, kept: truncated))
    }

    /// `value >> shift`, rounded to nearest, ties to even.
    private static func roundedShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let kept = value >> shift
        let remainder = value & ((1 << shift) - 1)
        return kept + roundingIncrement(remainder: remainder, halfway: 1 << (shift - 1), kept: kept)
    }

    /// 1 if dropping `remainder` (whose midpoint is `halfway`) should round `kept` up, else 0.
    private static func roundingIncrement(remainder: UInt32, halfway: UInt32, kept: UInt32) -> UInt32 {
        remainder > halfway || (remainder == halfway && kept & 1 == 1) ? 1 : 0
    }
}
