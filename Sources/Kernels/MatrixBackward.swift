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
