#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fully connected layer with bias and activation fused: `output = activation(input · weight + bias)`.
///
/// Batches are small at inference, so the output features are split over threads; a batch of
/// one or two runs as matrix-vector products, which stream the weights once without packing.
/// - Parameters:
///   - output: `batch x outputFeatures`.
///   - input: `batch x inputFeatures`.
///   - weight: `inputFeatures x outputFeatures` (Keras's Dense kernel layout; PyTorch's Linear
///     weight is its transpose and is transposed at load time).
///   - bias: `outputFeatures` values or nil.
/// - Complexity: 2·batch·inputFeatures·outputFeatures floating-point operations.
public func denseForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, batch: Int, inputFeatures: Int, outputFeatures: Int,
    activation: Activation
) {
    // At least 64 columns, and `minimumParallelWork` multiply-adds, per thread.
    parallelChunks(outputFeatures, minimumChunk: max(64, minimumParallelWork / max(1, batch * inputFeatures))) { columns in
        let c = output + columns.lowerBound
        if batch <= 2 {
            for row in 0..<batch {
                gemvTransposed(k: inputFeatures, n: columns.count, a: weight + columns.lowerBound, lda: outputFeatures,
                               x: input + row * inputFeatures, y: c + row * outputFeatures)
            }
        } else {
            gemm(m: batch, n: columns.count, k: inputFeatures, a: input, lda: inputFeatures,
                 b: weight + columns.lowerBound, ldb: outputFeatures, c: c, ldc: outputFeatures)
        }
        biasActivationForward(
            values: c, rows: batch, columns: columns.count, rowStride: outputFeatures,
            bias: bias.map { $0 + columns.lowerBound }, activation: activation)
    }
}

/// Softmax over each row of a `rows x columns` matrix, computed stably (the row maximum is
/// subtracted first).
/// - Complexity: O(rows · columns).
public func softmaxForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, columns: Int) {
    for row in 0..<rows {
        let x = input + row * columns
        let y = output + row * columns
        var largest = -Float.infinity
        for j in 0..<columns { largest = max(largest, x[j]) }
        var sum: Float = 0
        for j in 0..<columns {
            y[j] = (x[j] - largest).exponential
            sum += y[j]
        }
        for j in 0..<columns { y[j] /= sum }
    }
}

/// Elementwise sum `output = a + b` of `count` values, then `activation`.
/// - Complexity: O(count).
public func addForward(
    output: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    count: Int, activation: Activation = .identity
) {
    parallelChunks(count, minimumChunk: 1 << 15) { range in
        for i in range { output[i] = a[i] + b[i] }
        biasActivationForward(
            values: output + range.lowerBound, rows: 1, columns: range.count, rowStride: range.count,
            bias: nil, activation: activation)
    }
}

extension Float {
    /// e raised to this value.
    @inline(__always) var exponential: Float {
        #if canImport(Glibc)
        Glibc.expf(self)
        #else
        Darwin.expf(self)
        #endif
    }
}
