#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Single-precision matrix product through CBLAS with either operand transposed:
/// `C = op(A) · op(B) + beta · C`, all row-major. The backward passes need `Aᵀ · B` (weight
/// gradients) as well as `A · Bᵀ` (input gradients); `gemm` covers only the forward products.
///
/// - Parameters:
///   - m: rows of op(A) and C. - n: columns of op(B) and C. - k: columns of op(A), rows of op(B).
///   - a: `m x k` (or `k x m` when `transposeA`), row stride `lda`.
///   - b: `k x n` (or `n x k` when `transposeB`), row stride `ldb`.
///   - beta: 0 to overwrite C, 1 to add into it.
/// - Complexity: 2·m·n·k floating-point operations.
@inline(__always)
public func gemm(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
    b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
    c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
        return
    }
    _ = singleThreadedBLAS
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Set once: the BLAS library runs each call on one thread, as for the forward `gemm`.
private let singleThreadedBLAS: Void = {
    #if !canImport(Accelerate)
    openblas_set_num_threads(1)
    #endif
}()

/// The gradients of a fully connected layer `y = x · W + b`, added into the gradient buffers.
///
/// - Parameters:
///   - inputGradient: `batch x inputFeatures`, or nil when not needed; added into.
///   - weightGradient: the weight's shape (see `weightIsTransposed`), or nil; added into.
///   - biasGradient: `outputFeatures`, or nil; added into.
///   - outputGradient: `batch x outputFeatures`.
///   - weightIsTransposed: false for Keras's `in x out` kernel, true for PyTorch's `out x in`.
/// - Complexity: 4·batch·inputFeatures·outputFeatures floating-point operations.
public func denseBackward(
    inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?,
    biasGradient: UnsafeMutablePointer<Float>?, outputGradient dy: UnsafePointer<Float>,
    input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, weightIsTransposed: Bool,
    batch: Int, inputFeatures: Int, outputFeatures: Int
) {
    let (i, o) = (inputFeatures, outputFeatures)
    if let inputGradient {
        // dx = dy · Wᵀ (Keras `in x out`) or dy · W (PyTorch `out x in`); columns split over threads.
        parallelChunks(i, minimumChunk: 256) { columns in
            if weightIsTransposed {
                gemm(m: batch, n: columns.count, k: o, a: dy, lda: o, transposeA: false,
                     b: w + columns.lowerBound, ldb: i, transposeB: false,
                     c: inputGradient + columns.lowerBound, ldc: i, beta: 1)
            } else {
                gemm(m: batch, n: columns.count, k: o, a: dy, lda: o, transposeA: false,
                     b: w + columns.lowerBound * o, ldb: o, transposeB: true,
                     c: inputGradient + columns.lowerBound, ldc: i, beta: 1)
            }
        }
    }
    if let weightGradient {
        if weightIsTransposed {
            // dW (out x in) += dyᵀ · x, split over input features.
            parallelChunks(i, minimumChunk: 256) { columns in
                gemm(m: o, n: columns.count, k: batch, a: dy, lda: o, transposeA: true,
                     b: x + columns.lowerBound, ldb: i, transposeB: false,
                     c: weightGradient + columns.lowerBound, ldc: i, beta: 1)
            }
        } else {
            // dW (in x out) += xᵀ · dy, split over input features (rows of dW).
            parallelChunks(i, minimumChunk: 256) { rows in
                gemm(m: rows.count, n: o, k: batch, a: x + rows.lowerBound, lda: i, transposeA: true,
                     b: dy, ldb: o, transposeB: false,
                     c: weightGradient + rows.lowerBound * o, ldc: o, beta: 1)
            }
        }
    }
    if let biasGradient {
        for row in 0..<batch {
            for j in 0..<o { biasGradient[j] += dy[row * o + j] }
        }
    }
}

/// Multiplies each value of `gradient` by the derivative of `activation` at the point whose
/// activated output is `output`: ReLU passes where `y > 0`, ReLU6 where `0 < y < 6`.
/// - Complexity: O(count).
public func activationBackward(
    gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int, activation: Activation
) {
    switch activation {
    case .identity: return
    case .relu:
        parallelChunks(count, minimumChunk: 1 << 16) { range in
            for i in range where output[i] <= 0 { gradient[i] = 0 }
        }
    case .relu6:
        parallelChunks(count, minimumChunk: 1 << 16) { range in
            for i in range where output[i] <= 0 || output[i] >= 6 { gradient[i] = 0 }
        }
    }
}
