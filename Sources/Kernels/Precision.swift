import CKernels

/// The number format a network's convolutions multiply in.
///
/// fp32 everywhere by default. A model may opt into bf16 or int8 (its registry entry's
/// `precision`, or `ecg bench`/`ecg evaluate --precision`): its convolution weights are then also
/// packed in that format, once, and the GEMM-based convolutions convert each im2col panel while
/// packing it and multiply on the matching tiles (`Conv2D+LowPrecision.swift`). Depthwise
/// convolutions, thin layers (the 3-channel stems), dense layers, pooling and activations stay fp32.
///
/// - bf16 (AVX-512 BF16, `vdpbf16ps`): bfloat16 keeps fp32's exponent and 8 significant bits, so
///   each rounded operand is within a relative 2⁻⁸ of its value and a sum of products within about
///   2⁻⁷ · Σ|aᵢ·bᵢ| of the fp32 one; sums are fp32.
/// - int8 (AVX-512 VNNI, `vpdpbusd`): weights per output channel and activations per output pixel's
///   patch scaled by their largest magnitude / 127 and rounded (no calibration set: the activation
///   scales are taken as each panel is packed); exact int32 sums, scaled to fp32. Each operand is
///   within half its scale of its value.
///
/// See: https://en.wikichip.org/wiki/x86/avx512_bf16, https://en.wikichip.org/wiki/x86/avx512_vnni
/// NOTE: a CPU without the instructions runs the model in fp32 (`available`); the avx2 kernel set
/// (`ECG_KERNELS`) also runs it in fp32, with the low-precision panels unused. The portable set
/// runs int8 in plain C, with the same floats as VNNI, on any CPU.
public enum Precision: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Single precision: the reference.
    case fp32
    /// bfloat16 operands, fp32 sums (AVX-512 BF16).
    case bf16
    /// 8-bit operands (AVX-512 VNNI): weights per output channel, activations per output pixel's
    /// patch, each scaled by its largest magnitude / 127 when packed; exact int32 sums.
    case int8

    /// Whether this CPU has the instructions for it; for int8 also whenever the kernel set in use
    /// is portable, whose plain C int8 tiles give the VNNI tiles' floats on any CPU (slowly: for
    /// measuring int8's accuracy, `ECG_KERNELS=portable ecg evaluate --precision int8`).
    public var isSupported: Bool {
        switch self {
        case .fp32: true
        case .bf16: KernelSet.cpuFeatures & Int32(ECG_CPU_AVX512_BF16) != 0
        case .int8: KernelSet.cpuFeatures & Int32(ECG_CPU_AVX512_VNNI) != 0 || KernelSet.current == .portable
        }
    }

    /// Whether kernel set `set` multiplies in this precision on this CPU: fp32 always; bf16 on
    /// avx512 with AVX-512 BF16; int8 on avx512 with VNNI, and on portable.
    public func runs(on set: KernelSet) -> Bool {
        switch self {
        case .fp32: true
        case .bf16: Tiles(set).bf16 != nil
        case .int8: Tiles(set).int8 != nil
        }
    }

    /// The precision a request for this one runs in here: itself, or fp32 where the CPU lacks it.
    public var available: Precision { isSupported ? self : .fp32 }

    /// One line saying that a request for this precision falls back to fp32 here, or nil when it
    /// does not: what `ecg` prints and the server logs instead of failing.
    public func fallbackNote(model: String) -> String? {
        isSupported ? nil
            : "\(model) asks for \(rawValue), which this CPU cannot run (it has: \(KernelSet.cpuFeatureNames)); using fp32"
                + (self == .int8 ? " (ECG_KERNELS=portable runs int8 in plain C, slowly)" : "")
    }

    public var description: String { rawValue }
}
