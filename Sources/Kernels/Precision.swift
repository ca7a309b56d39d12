import CKernels

/// The number format a network's convolutions multiply in.
///
/// fp32 everywhere by default. A model may opt into bf16 (its registry entry's `precision`, or
/// `ecg bench`/`ecg evaluate --precision bf16`): its convolution weights are then also packed as
/// bfloat16 pairs, once, and the GEMM-based convolutions round each im2col panel to bfloat16 while
/// packing it and multiply on the AVX-512 BF16 tiles (`vdpbf16ps`), summing in fp32. Depthwise
/// convolutions, dense layers, pooling and activations stay fp32.
///
/// bfloat16 keeps fp32's exponent and 8 significant bits, so each rounded operand is within a
/// relative 2⁻⁸ of its value; a product sum of n terms is within about 2⁻⁷ · Σ|aᵢ·bᵢ| of the fp32
/// one. See: https://en.wikichip.org/wiki/x86/avx512_bf16
/// NOTE: a CPU without AVX-512 BF16 runs a bf16 model in fp32 (`available`); a kernel set other
/// than avx512 (`ECG_KERNELS`) also runs it in fp32, with the bf16 panels unused.
public enum Precision: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Single precision: the reference.
    case fp32
    /// bfloat16 operands, fp32 sums (AVX-512 BF16).
    case bf16

    /// Whether this CPU has the instructions for it.
    public var isSupported: Bool {
        switch self {
        case .fp32: true
        case .bf16: KernelSet.cpuFeatures & Int32(ECG_CPU_AVX512_BF16) != 0
        }
    }

    /// The precision a request for this one runs in here: itself, or fp32 where the CPU lacks it.
    public var available: Precision { isSupported ? self : .fp32 }

    /// One line saying that a request for this precision falls back to fp32 here, or nil when it
    /// does not: what `ecg` prints and the server logs instead of failing.
    public func fallbackNote(model: String) -> String? {
        isSupported ? nil
            : "\(model) asks for \(rawValue), which this CPU cannot run (it has: \(KernelSet.cpuFeatureNames)); using fp32"
    }

    public var description: String { rawValue }
}
