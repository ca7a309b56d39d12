import CKernels
import Foundation

/// Which compiled set of GEMM micro-kernels (Sources/CKernels) the convolutions run on.
///
/// One binary holds every set; the best one the CPU supports is picked once, at first use, from
/// cpuid (`ecg_cpu_features`). `ECG_KERNELS=avx512|avx2|portable` overrides the pick, so that a
/// slower path can be tested and benchmarked on a faster CPU; a set the CPU cannot run is refused,
/// since it would stop the process with an illegal instruction. All sets share the packed layouts
/// (12-row A panels, 32- or 16-column B panels), so the choice affects speed, not the packing.
public enum KernelSet: String, CaseIterable, Sendable, CustomStringConvertible {
    /// AVX-512 F/VL/DQ/BW: a 12 x 32 register tile, 24 zmm accumulators.
    case avx512
    /// AVX2 + FMA: 6 x 16 register tiles, 12 ymm accumulators.
    case avx2
    /// Plain C for the baseline CPU (SSE2 on x86-64, NEON on arm64).
    case portable

    /// The CPU's feature bits (`ECG_CPU_*`), read once.
    public static let cpuFeatures: Int32 = ecg_cpu_features()

    /// Whether this CPU can run the set.
    public var isSupported: Bool {
        switch self {
        case .avx512: Self.cpuFeatures & Int32(ECG_CPU_AVX512F) != 0
        case .avx2: Self.cpuFeatures & Int32(ECG_CPU_AVX2_FMA) != 0
        case .portable: true
        }
    }

    /// The set int8 runs on here: the one in use where it has int8 tiles (avx512 on a CPU with
    /// VNNI, or portable), else portable, whose plain C tiles give the same floats on any CPU.
    public static var int8: KernelSet { Precision.int8.runs(on: current) ? current : .portable }

    /// The sets this CPU can run, fastest first.
    public static var supported: [KernelSet] { allCases.filter(\.isSupported) }

    /// The fastest set this CPU can run.
    public static var best: KernelSet { supported[0] }

    public var description: String { rawValue }

    /// The CPU features, as names, for `ecg bench` and the logs: e.g. `avx2+fma avx512 avx512-vnni avx512-bf16`.
    public static var cpuFeatureNames: String {
        let names: [(Int32, String)] = [
            (Int32(ECG_CPU_AVX2_FMA), "avx2+fma"), (Int32(ECG_CPU_AVX512F), "avx512"),
            (Int32(ECG_CPU_AVX512_VNNI), "avx512-vnni"), (Int32(ECG_CPU_AVX512_BF16), "avx512-bf16"),
            (Int32(ECG_CPU_NEON), "neon"),
        ]
        let present = names.filter { cpuFeatures & $0.0 != 0 }.map(\.1)
        return present.isEmpty ? "baseline only" : present.joined(separator: " ")
    }

    /// The set `ECG_KERNELS` asks for, or nil when it is unset or empty.
    /// - Throws: `KernelSetError` when it names no set, or one this CPU cannot run.
    public static func fromEnvironment() throws(KernelSetError) -> KernelSet? {
        guard let text = ProcessInfo.processInfo.environment["ECG_KERNELS"], !text.isEmpty else { return nil }
        guard let set = KernelSet(rawValue: text.lowercased()) else { throw .unknown(text) }
        guard set.isSupported else { throw .unsupported(set) }
        return set
    }

    /// The set in use: `ECG_KERNELS` when valid, else `best`. An invalid `ECG_KERNELS` is reported
    /// once on standard error and ignored here; the CLI checks it first and refuses to start.
    public static var current: KernelSet {
        get { lock.withLock { selected } }
        set {
            precondition(newValue.isSupported, "kernel set \(newValue) is not supported by this CPU")
            lock.withLock {
                selected = newValue
                activeTiles = Tiles(newValue)
            }
        }
    }

    /// Runs `body` with `set` in use, then restores the previous set (tests, benchmarks).
    /// The set is process-wide: other threads' convolutions use it meanwhile too.
    public static func with<T>(_ set: KernelSet, _ body: () throws -> T) rethrows -> T {
        let previous = current
        current = set
        defer { current = previous }
        return try body()
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var selected = initial
    /// The set picked at start: `ECG_KERNELS`, else `best`.
    static let initial = initialSet()

    private static func initialSet() -> KernelSet {
        do {
            return try fromEnvironment() ?? best
        } catch {
            FileHandle.standardError.write(Data("warning: \(error.description); using \(best)\n".utf8))
            return best
        }
    }
}

/// An `ECG_KERNELS` value that cannot be honoured.
public enum KernelSetError: Error, CustomStringConvertible, Equatable {
    /// Not the name of a kernel set.
    case unknown(String)
    /// A set this CPU cannot run.
    case unsupported(KernelSet)

    public var description: String {
        switch self {
        case .unknown(let text):
            "ECG_KERNELS=\(text) names no kernel set (expected one of: \(KernelSet.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unsupported(let set):
            "ECG_KERNELS=\(set.rawValue): this CPU cannot run it (it has: \(KernelSet.cpuFeatureNames))"
        }
    }
}

/// The tile functions of one set, as C function pointers: read once per tile, without a lock.
/// The fp32 tiles end in the convolution's epilogue (CKernels.h): they take the tile's bias values
/// (or nil) and the activation's `tileCode`, then the next panel's weights to prefetch (or nil, 0).
struct Tiles: Sendable {
    /// A packed tile: `(depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines)`; the last
    /// two name weights to prefetch into L2 meanwhile (`NextPanelPrefetch`), or nil and 0.
    typealias Function = @convention(c) (Int64, UnsafePointer<Float>?, UnsafePointer<Float>?,
                                         UnsafeMutablePointer<Float>?, Int64, Int32, UnsafePointer<Float>?, Int32,
                                         UnsafePointer<Float>?, Int64) -> Void
    /// A direct convolution tile: `(taps, span, a, rowStride, pixelStride, b, c, ldc, bias, activation, next, nextLines)`.
    typealias DirectFunction = @convention(c) (Int64, Int64, UnsafePointer<Float>?, Int64, Int64, UnsafePointer<Float>?,
                                               UnsafeMutablePointer<Float>?, Int64, UnsafePointer<Float>?, Int32,
                                               UnsafePointer<Float>?, Int64) -> Void
    /// The 12-row tiles, 32 and 16 columns wide.
    let wide: Function
    let narrow: Function
    /// Tiles of fewer rows for a panel's last rows, smallest first: each computes the first `rows`
    /// rows of the 12-row tile, with the same floats (AVX-512: 4 and 8 rows; AVX2: 6; portable: none).
    let short: [ShortTiles]

    /// The smallest short tile that holds `rows` real rows, or nil when the 12-row tile is needed
    /// (12 rows, or more than the largest short tile holds).
    func shortTile(for rows: Int) -> ShortTiles? {
        rows < microTileRows ? short.first { rows <= $0.rows } : nil
    }
    /// The direct convolution tiles (12 x 32, 12 x 16), or nil for a set without them (portable),
    /// whose convolutions always pack; and for AVX2 the 12 x 32 tile's first 24 columns (`first24`,
    /// nil elsewhere), for a 32-wide panel with 17-24 real columns.
    let direct: (wide: DirectFunction, narrow: DirectFunction, first24: DirectFunction?)?
    /// The bfloat16 tiles (`Conv2D+LowPrecision.swift`), or nil unless the set is avx512 and the CPU
    /// has AVX-512 BF16: a bf16 weight then runs on its fp32 panels.
    let bf16: BF16Tiles?
    /// The int8 tiles: VNNI where the set is avx512 and the CPU has AVX-512 VNNI, plain C in the
    /// portable set (slow; the same floats), else nil.
    let int8: Int8Tiles?
    /// Packs twelve rows into an A panel, `panel[c · 12 + r] = sources[r][c]` for `c < count`
    /// (`ecg_pack12_*`): `(sources, count, panel)`. The same floats in every set.
    typealias PackFunction = @convention(c) (UnsafePointer<UnsafePointer<Float>?>?, Int64, UnsafeMutablePointer<Float>?) -> Void
    let pack: PackFunction
    /// Four output pixels of a depthwise convolution in zmm registers (`ecg_depthwise4_avx512`,
    /// `depthwiseQuad`'s arithmetic), or nil where the Swift loop runs (avx2, portable):
    /// `(input, pixelStride, rowStride, firstRow, endRow, kernelWidth, weight, bias, channels, output, ldo, activation)`.
    typealias DepthwiseFunction = @convention(c) (UnsafePointer<Float>?, Int64, Int64, Int64, Int64, Int64, UnsafePointer<Float>?,
                                                  UnsafePointer<Float>?, Int64, UnsafeMutablePointer<Float>?, Int64, Int32) -> Void
    let depthwise4: DepthwiseFunction?

    init(_ set: KernelSet) {
        bf16 = set == .avx512 && Precision.bf16.isSupported ? BF16Tiles() : nil
        #if arch(x86_64)
        int8 = set == .portable ? .portable
            : set == .avx512 && KernelSet.cpuFeatures & Int32(ECG_CPU_AVX512_VNNI) != 0 ? .vnni : nil
        #else
        int8 = set == .portable ? .portable : nil
        #endif
        switch set {
        case .avx512: (wide, narrow) = (ecg_tile12x32_avx512, ecg_tile12x16_avx512)
        case .avx2: (wide, narrow) = (ecg_tile12x32_avx2, ecg_tile12x16_avx2)
        case .portable: (wide, narrow) = (ecg_tile12x32_portable, ecg_tile12x16_portable)
        }
        #if arch(x86_64)
        switch set {
        case .avx512:
            short = [ShortTiles(rows: 4, wide: ecg_tile4x32_avx512, narrow: ecg_tile4x16_avx512,
                                direct: (ecg_direct4x32_avx512, ecg_direct4x16_avx512)),
                     ShortTiles(rows: 8, wide: ecg_tile8x32_avx512, narrow: ecg_tile8x16_avx512,
                                direct: (ecg_direct8x32_avx512, ecg_direct8x16_avx512))]
        case .avx2:
            short = [ShortTiles(rows: 2, wide: ecg_tile2x32_avx2, narrow: ecg_tile2x16_avx2,
                                direct: (ecg_direct2x32_avx2, ecg_direct2x16_avx2)),
                     ShortTiles(rows: 6, wide: ecg_tile6x32_avx2, narrow: ecg_tile6x16_avx2,
                                direct: (ecg_direct6x32_avx2, ecg_direct6x16_avx2))]
        case .portable: short = []
        }
        switch set {
        case .avx512: direct = (ecg_direct12x32_avx512, ecg_direct12x16_avx512, nil)
        case .avx2: direct = (ecg_direct12x32_avx2, ecg_direct12x16_avx2, ecg_direct12x24_avx2)
        case .portable: direct = nil
        }
        pack = set == .portable ? ecg_pack12_portable : ecg_pack12_avx2
        depthwise4 = set == .avx512 ? ecg_depthwise4_avx512 : nil
        #else
        short = []
        direct = nil
        pack = ecg_pack12_portable
        depthwise4 = nil
        #endif
    }
}

/// A short tile's row count and its functions, 32 and 16 columns wide (`Tiles.short`): packed, and
/// direct (only the sets with direct tiles have short ones).
struct ShortTiles: Sendable {
    let rows: Int
    let wide: Tiles.Function
    let narrow: Tiles.Function
    let direct: (wide: Tiles.DirectFunction, narrow: Tiles.DirectFunction)
}

extension Activation {
    /// The activation's code for the fp32 tiles' epilogue (`ECG_ACTIVATION_*`, CKernels.h).
    var tileCode: Int32 {
        switch self {
        case .identity: Int32(ECG_ACTIVATION_IDENTITY)
        case .relu: Int32(ECG_ACTIVATION_RELU)
        case .relu6: Int32(ECG_ACTIVATION_RELU6)
        }
    }
}

/// The tile functions of `KernelSet.current`. Written only when the set changes (a whole struct of
/// pointers to functions that compute the same tiles), read by every micro-tile.
nonisolated(unsafe) var activeTiles = Tiles(KernelSet.initial)
