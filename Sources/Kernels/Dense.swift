#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fully connected layer with bias and activation fused: `output = activation(input · weight + bias)`.
///
/// A batch of one or two (inference on one page) is a matrix-vector product whose cost is reading
/// the weight once: `denseRowsForward` streams it in blocks spread over threads. Larger batches
/// go through `gemm`, with the output features split over threads.
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
    if batch <= 2 {
        denseRowsForward(output: output, input: input, weight: weight, bias: bias, batch: batch,
                         inputFeatures: inputFeatures, outputFeatures: outputFeatures, activation: activation)
        return
    }
    // At least 64 columns, and `minimumParallelWork` multiply-adds, per thread.
    parallelChunks(outputFeatures, minimumChunk: max(64, minimumParallelWork / max(1, batch * inputFeatures))) { columns in
        let c = output + columns.lowerBound
        gemm(m: batch, n: columns.count, k: inputFeatures, a: input, lda: inputFeatures,
             b: weight + columns.lowerBound, ldb: outputFeatures, c: c, ldc: outputFeatures)
        biasActivationForward(
            values: c, rows: batch, columns: columns.count, rowStride: outputFeatures,
            bias: bias.map { $0 + columns.lowerBound }, activation: activation)
    }
}

/// Rows of the weight one block of `denseRowsForward` sums: 512 rows of at most
/// `denseBlockColumns` columns, 512 KiB, so that a second input row reads the block from L2.
let denseBlockRows = 512
/// Columns of one block of `denseRowsForward`.
let denseBlockColumns = 256

/// `denseForward` for a batch of one or two: the weight is cut into blocks of `denseBlockRows` x
/// `denseBlockColumns`, spread over threads, each block's partial sums written to scratch; then the
/// partial sums of each column are added in block order, and the bias and activation applied.
///
/// Narrow layers need the split along the input features: small_cnn's 10368 x 64 dense layer (2.7
/// MB) is one 64-column strip, which a split by columns left to one thread (and CBLAS's `sgemv`
/// read it at 9 GB/s). The blocks depend only on the shape, never on the thread count, so every
/// thread count gives the same floats.
/// - Complexity: 2·batch·inputFeatures·outputFeatures floating-point operations.
func denseRowsForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, batch: Int, inputFeatures: Int, outputFeatures: Int, activation: Activation
) {
    let rowBlocks = max(1, (inputFeatures + denseBlockRows - 1) / denseBlockRows)
    let columnBlocks = (outputFeatures + denseBlockColumns - 1) / denseBlockColumns
    guard columnBlocks > 0 else { return }
    let blockWork = batch * min(inputFeatures, denseBlockRows) * min(outputFeatures, denseBlockColumns)
    // Partial sums: `rowBlocks x batch x outputFeatures`.
    withScratch(count: rowBlocks * batch * outputFeatures) { partial in
        parallelChunks(rowBlocks * columnBlocks, minimumChunk: max(1, minimumParallelWork / max(1, blockWork))) { blocks in
            for block in blocks {
                let (rowBlock, columnBlock) = (block / columnBlocks, block % columnBlocks)
                let rows = (rowBlock * denseBlockRows)..<min(inputFeatures, (rowBlock + 1) * denseBlockRows)
                let first = columnBlock * denseBlockColumns
                let columns = min(denseBlockColumns, outputFeatures - first)
                for row in 0..<batch {
                    let sums = partial + (rowBlock * batch + row) * outputFeatures + first
                    sums.update(repeating: 0, count: columns)
                    accumulateRows(rows, columns: columns, weight: weight + first, stride: outputFeatures,
                                   x: input + row * inputFeatures, into: sums)
                }
            }
        }
        for row in 0..<batch {
            let y = output + row * outputFeatures
            y.update(from: partial + row * outputFeatures, count: outputFeatures)
            for rowBlock in 1..<rowBlocks {
                let sums = partial + (rowBlock * batch + row) * outputFeatures
                for j in 0..<outputFeatures { y[j] += sums[j] }
            }
        }
    }
    biasActivationForward(values: output, rows: batch, columns: outputFeatures, rowStride: outputFeatures,
                          bias: bias, activation: activation)
}

/// `y[j] += Σ x[k] · weight[k · stride + j]` for `k` in `rows` (ascending) and `j < columns`: four
/// weight rows streamed side by side, each `y` vector loaded and stored once per four rows.
@inline(__always)
private func accumulateRows(
    _ rows: Range<Int>, columns: Int, weight: UnsafePointer<Float>, stride: Int, x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
) {
    typealias Vector = SIMD16<Float>
    let width = Vector.scalarCount
    let vectors = columns / width
    var k = rows.lowerBound
    while k + 4 <= rows.upperBound {
        let (x0, x1, x2, x3) = (x[k], x[k + 1], x[k + 2], x[k + 3])
        let w0 = weight + k * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
        for v in 0..<vectors {
            let j = v * width
            var sum = UnsafeRawPointer(y + j).loadUnaligned(as: Vector.self)
            sum.addProduct(Vector(repeating: x0), UnsafeRawPointer(w0 + j).loadUnaligned(as: Vector.self))
            sum.addProduct(Vector(repeating: x1), UnsafeRawPointer(w1 + j).loadUnaligned(as: Vector.self))
            sum.addProduct(Vector(repeating: x2), UnsafeRawPointer(w2 + j).loadUnaligned(as: Vector.self))
            sum.addProduct(Vector(repeating: x3), UnsafeRawPointer(w3 + j).loadUnaligned(as: Vector.self))
            UnsafeMutableRawPointer(y + j).storeBytes(of: sum, as: Vector.self)
        }
        for j in vectors * width..<columns {
            y[j] = (((y[j] + x0 * w0[j]) + x1 * w1[j]) + x2 * w2[j]) + x3 * w3[j]
        }
        k += 4
    }
    while k < rows.upperBound {
        let xk = x[k], w = weight + k * stride
        for j in 0..<columns { y[j] += xk * w[j] }
        k += 1
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
