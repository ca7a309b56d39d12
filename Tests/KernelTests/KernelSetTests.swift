import Foundation
@testable import Kernels
import Testing

/// `C = A · B` (or `C + A · B`) for one packed tile, in Double, from the definitions: A packed as
/// `a[p · 12 + r]`, B as `b[p · width + j]`, C rows `ldc` apart.
private func referenceTile(depth: Int, a: [Float], b: [Float], width: Int, c: [Float], ldc: Int, accumulate: Bool) -> [Float] {
    var result = c
    for r in 0..<12 {
        for j in 0..<width {
            var sum = 0.0
            for p in 0..<depth { sum += Double(a[p * 12 + r]) * Double(b[p * width + j]) }
            result[r * ldc + j] = Float((accumulate ? Double(c[r * ldc + j]) : 0) + sum)
        }
    }
    return result
}

/// Every GEMM kernel set (`KernelSet`) that this CPU can run, forced in turn, against the naive
/// references; the sets it cannot run are named on standard output. Serialized, since the set in
/// use is process-wide.
@Suite("GEMM kernel sets: cpuid detection, ECG_KERNELS, and every runnable set against the reference", .serialized)
struct KernelSetTests {
    @Test("Each runnable set's 12x32 and 12x16 tiles match the naive product, overwriting and accumulating, for depths 1 to 600")
    func tilesMatchReference() {
        for set in KernelSet.allCases where !set.isSupported {
            print("KernelSetTests: \(set) not run, this CPU lacks it (it has: \(KernelSet.cpuFeatureNames))")
        }
        for set in KernelSet.supported {
            let tiles = Tiles(set)
            for width in [32, 16] {
                for depth in [1, 2, 7, 64, 513, 600] {
                    for accumulate in [false, true] {
                        let ldc = width + 5  // C rows wider than the tile: only the tile may change
                        let a = randomValues(depth * 12, seed: UInt64(depth))
                        let b = randomValues(depth * width, seed: UInt64(depth + 1000))
                        var c = randomValues(12 * ldc, seed: 7)
                        let expected = referenceTile(depth: depth, a: a, b: b, width: width, c: c, ldc: ldc, accumulate: accumulate)
                        let function = width == 32 ? tiles.wide : tiles.narrow
                        a.withUnsafeBufferPointer { a in
                            b.withUnsafeBufferPointer { b in
                                c.withUnsafeMutableBufferPointer { c in
                                    function(Int64(depth), a.baseAddress, b.baseAddress, c.baseAddress, Int64(ldc), accumulate ? 1 : 0,
                                             nil, Activation.identity.tileCode, nil, 0)
                                }
                            }
                        }
                        let tolerance = Float(depth).squareRoot() * 1e-5
                        checkClose(c, expected, atol: tolerance, rtol: 1e-5,
                                   "\(set) 12x\(width) depth \(depth)\(accumulate ? " accumulating" : "")")
                    }
                }
            }
        }
    }

    @Test("Each runnable set, forced, gives reference convolutions: deep patches, narrow panels, row and column splits, groups")
    func convolutionsMatchReference() throws {
        let wide = max(128, 64 * kernelThreadCount)
        let cases = [
            ConvCase(height: 20, width: 20, channels: 72, outputChannels: 40, kernel: (3, 3), padding: .same, activation: .relu),
            ConvCase(height: 13, width: 11, channels: 5, outputChannels: 16, kernel: (3, 3), padding: .same, activation: .relu),
            ConvCase(height: 2, width: 3, channels: 40, outputChannels: 48, kernel: (1, 1)),
            ConvCase(batch: 3, height: 4, width: 4, channels: 8, outputChannels: wide, kernel: (3, 3), padding: .same, bias: false),
            ConvCase(height: 6, width: 7, channels: 6, outputChannels: 8, kernel: (3, 3), padding: .same, groups: 2, activation: .relu),
            ConvCase(height: 9, width: 8, channels: 3, outputChannels: 32, kernel: (3, 3), stride: (2, 2), padding: .same,
                     activation: .relu6),
        ]
        for set in KernelSet.supported {
            try KernelSet.with(set) {
                #expect(KernelSet.current == set)
                for c in cases { try checkConvolution(c) }
            }
        }
    }

    #if arch(x86_64) && os(Linux)
    @Test("cpuid agrees with the kernel's /proc/cpuinfo flags on AVX2+FMA and AVX-512 F/DQ/BW/VL")
    func detectionMatchesCpuinfo() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        #expect(KernelSet.avx2.isSupported == flags.isSuperset(of: ["avx2", "fma"]))
        #expect(KernelSet.avx512.isSupported == flags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]))
        #expect(KernelSet.portable.isSupported)
        #expect(KernelSet.best == KernelSet.supported[0])
    }
    #endif

    @Test("ECG_KERNELS: a runnable set is taken, an unknown or unrunnable one is refused with a message naming it")
    func environmentOverride() throws {
        defer { unsetenv("ECG_KERNELS") }
        unsetenv("ECG_KERNELS")
        #expect(try KernelSet.fromEnvironment() == nil)
        setenv("ECG_KERNELS", "portable", 1)
        #expect(try KernelSet.fromEnvironment() == .portable)
        setenv("ECG_KERNELS", "AVX2", 1)
        if KernelSet.avx2.isSupported { #expect(try KernelSet.fromEnvironment() == .avx2) }
        setenv("ECG_KERNELS", "sse9", 1)
        #expect(throws: KernelSetError.unknown("sse9")) { try KernelSet.fromEnvironment() }
        #expect(KernelSetError.unknown("sse9").description.contains("avx512, avx2, portable"))
        for set in KernelSet.allCases where !set.isSupported {
            setenv("ECG_KERNELS", set.rawValue, 1)
            #expect(throws: KernelSetError.unsupported(set)) { try KernelSet.fromEnvironment() }
        }
    }
}
