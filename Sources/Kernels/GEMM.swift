#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Single-precision matrix product through CBLAS: `C = op(A) · op(B) + beta · C`, all row-major,
/// where `op` transposes an operand when asked. The forward passes use `A · B` and `A · Bᵀ`; the
/// backward passes also need `Aᵀ · B` (weight gradients).
///
/// OpenBLAS on Linux, Accelerate on macOS. Callers split work over threads themselves
/// (`parallelChunks`), so the BLAS library is asked to use one thread per call; this keeps the
/// two thread pools from fighting over the cores.
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
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
        return
    }
    _ = blasThreadsConfigured
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Set once, before the first product: the BLAS library runs each call on one thread, and the
/// kernels parallelise above it.
private let blasThreadsConfigured: Void = {
    #if !canImport(Accelerate)
    openblas_set_num_threads(1)
    #endif
}()

/// Single-precision matrix-vector product through CBLAS: `y = xᵀ · A`, A row-major `k x n`
/// with row stride `lda`: one output row of a dense layer. Unlike `gemm` it does not pack A
/// first, which for a batch of one would copy the whole weight matrix on every call.
/// - Complexity: 2·k·n floating-point operations.
@inline(__always)
public func gemvTransposed(
    k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
) {
    guard n > 0 else { return }
    _ = blasThreadsConfigured
    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, a, Int32(lda), x, 1, 0, y, 1)
}
