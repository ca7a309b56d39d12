#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Single-precision matrix product: `C = op(A) · op(B) + beta · C`, all row-major, where `op`
/// transposes an operand when asked. The forward passes use `A · B` and `A · Bᵀ`; the backward
/// passes also need `Aᵀ · B` (weight gradients).
///
/// A product of 12 rows or more runs on the convolution's micro-tiles (`KernelSet`), with both
/// operands packed here (`tiledGemm`): the tiles beat OpenBLAS's own kernel for the same
/// instruction set (docs/performance.md), and Debian's OpenBLAS 0.3.21 does not know newer CPUs
/// (Sapphire and Emerald Rapids) and runs its SSE3 kernel on them: VGG16's training step spent
/// 73 % of its time in `sgemm_kernel_PRESCOTT`. Fewer rows (a dense layer over a small batch)
/// stream B once whatever the kernel, and go to CBLAS: OpenBLAS on Linux, Accelerate on macOS.
/// Callers split work over threads themselves (`parallelChunks`), so both run on the calling
/// thread; the BLAS library is asked to use one thread per call, which keeps the two thread pools
/// from fighting over the cores. The tiles pack into the thread's scratch memory (`withScratch`),
/// so `gemm` must not be called inside another kernel's `withScratch` body.
///
/// - Parameters:
///   - m: rows of op(A) and C. - n: columns of op(B) and C. - k: columns of op(A), rows of op(B).
///   - a: `m x k` (or `k x m` when `transposeA`), row stride `lda`.
///   - b: `k x n` (or `n x k` when `transposeB`), row stride `ldb`.
///   - c: `m x n`, row stride `ldc`.
///   - beta: 0 to overwrite C, 1 to add into it. With `k == 0` the product is zero: C is
///     cleared (beta 0) or left as it is (beta 1), without calling BLAS.
/// - Complexity: 2·m·n·k floating-point operations.
@inline(__always)
public func gemm(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
    b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    beta: Float = 0
) {
    precondition(beta == 0 || beta == 1, "gemm: beta must be 0 or 1")
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
        return
    }
    if m >= microTileRows {
        tiledGemm(m: m, n: n, k: k, a: (a, lda, transposeA), b: (b, ldb, transposeB), c: c, ldc: ldc, accumulate: beta == 1)
        return
    }
    _ = blasThreadsConfigured
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// One operand of `gemm`: its first value, row stride, and whether the product reads it transposed.
typealias GemmOperand = (values: UnsafePointer<Float>, stride: Int, transposed: Bool)

/// `gemm` on the micro-tiles, as `convolveBlock` runs them: for each 512-deep slice of the depth,
/// B's slice is packed into 32-column panels, then A a block of 12-row panels at a time (about
/// `packedBlockFloats`, to stay in L2), and every column panel passes over the block.
/// - Parameter accumulate: add into C (beta 1) rather than overwrite it.
func tiledGemm(
    m: Int, n: Int, k: Int, a: GemmOperand, b: GemmOperand, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
    let rowPanels = (m + microTileRows - 1) / microTileRows
    let columnPanels = (n + microTileColumns - 1) / microTileColumns
    let maxDepth = min(k, depthBlock)
    let blockPanels = max(1, min(rowPanels, packedBlockFloats / (microTileRows * maxDepth)))
    let bFloats = columnPanels * microTileColumns * maxDepth
    // The thread's scratch (no caller of `gemm` holds it), rather than an allocation per call.
    withScratch(count: bFloats + blockPanels * microTileRows * maxDepth) { packed in
        let packedA = packed + bFloats
        for k0 in stride(from: 0, to: k, by: depthBlock) {
            let depth = min(depthBlock, k - k0)
            for column in 0..<columnPanels {
                packPanel(packed + column * microTileColumns * depth, width: microTileColumns, from: b, first: column * microTileColumns,
                          count: n, depth: k0..<k0 + depth, alongRows: b.transposed)
            }
            for blockStart in stride(from: 0, to: rowPanels, by: blockPanels) {
                let block = blockStart..<min(rowPanels, blockStart + blockPanels)
                for (index, panel) in block.enumerated() {
                    packPanel(packedA + index * microTileRows * depth, width: microTileRows, from: a, first: panel * microTileRows,
                              count: m, depth: k0..<k0 + depth, alongRows: !a.transposed)
                }
                for column in 0..<columnPanels {
                    for (index, panel) in block.enumerated() {
                        let (row, first) = (panel * microTileRows, column * microTileColumns)
                        microTile(depth: depth, a: packedA + index * microTileRows * depth, b: packed + column * microTileColumns * depth,
                                  panelWidth: microTileColumns, c: c + row * ldc + first, ldc: ldc,
                                  rows: min(microTileRows, m - row), columns: min(microTileColumns, n - first),
                                  accumulate: accumulate || k0 > 0, bias: nil, activation: .identity)
                    }
                }
            }
        }
    }
}

/// Packs `width` lines `first ..< first + width` of an operand over `depth` into a panel,
/// `panel[p · width + j]` = line `first + j` at depth `depth.lowerBound + p`; lines at or past
/// `count` are zeros. A line is a row of the stored matrix when `alongRows` (A as stored, Bᵀ),
/// else a column (Aᵀ, B as stored).
private func packPanel(
    _ panel: UnsafeMutablePointer<Float>, width: Int, from operand: GemmOperand, first: Int, count: Int,
    depth: Range<Int>, alongRows: Bool
) {
    let lines = max(0, min(width, count - first))
    if lines < width { panel.update(repeating: 0, count: width * depth.count) }
    if alongRows {
        // Each line is contiguous in memory: the panel is written in order, reading the `lines`
        // lines side by side (their current cache lines stay in L1; writing `width` apart instead
        // left the 64 KiB panel's lines to L2).
        let base = operand.values + first * operand.stride + depth.lowerBound
        for p in 0..<depth.count {
            let row = panel + p * width
            for j in 0..<lines { row[j] = base[j * operand.stride + p] }
        }
    } else {
        // Each depth step's lines are contiguous: copy them as a run.
        for p in 0..<depth.count {
            (panel + p * width).update(from: operand.values + (depth.lowerBound + p) * operand.stride + first, count: lines)
        }
    }
}

/// Set once, before the first product: the BLAS library runs each call on one thread, and the
/// kernels parallelise above it.
private let blasThreadsConfigured: Void = {
    #if !canImport(Accelerate)
    openblas_set_num_threads(1)
    #endif
}()
