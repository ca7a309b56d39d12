/// Batch normalisation in training mode over an NHWC batch seen as a `pixels x channels`
/// matrix: the batch statistics, the normalisation, and its backward pass.
///
/// See: Ioffe & Szegedy, "Batch Normalization", https://arxiv.org/abs/1502.03167

/// Each channel's mean and biased variance (divided by `pixels`) over a `pixels x channels`
/// matrix, summed in double precision. Pixels are split over threads.
/// - Complexity: O(pixels · channels).
public func batchNormStatistics(
    mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
    input: UnsafePointer<Float>, pixels: Int, channels: Int
) {
    let means = channelSums(pixels: pixels, channels: channels) { row, sums in
        for c in 0..<channels { sums[c] += Double(row[c]) }
    } rowSource: { input + $0 * channels }
    for c in 0..<channels { mean[c] = Float(means[c] / Double(max(pixels, 1))) }
    let squares = channelSums(pixels: pixels, channels: channels) { row, sums in
        for c in 0..<channels {
            let d = Double(row[c] - mean[c])
            sums[c] += d * d
        }
    } rowSource: { input + $0 * channels }
    for c in 0..<channels { variance[c] = Float(squares[c] / Double(max(pixels, 1))) }
}

/// `output = activation((input − mean) · inverseStd · scale + shift)` per channel.
/// - Complexity: O(pixels · channels).
public func batchNormForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    inverseStd: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
    pixels: Int, channels: Int, activation: Activation
) {
    let factor = (0..<channels).map { inverseStd[$0] * scale[$0] }
    let offset = (0..<channels).map { shift[$0] - mean[$0] * factor[$0] }
    factor.withUnsafeBufferPointer { a in
        offset.withUnsafeBufferPointer { b in
            parallelChunks(pixels, minimumChunk: 256) { rows in
                for row in rows {
                    let x = input + row * channels, y = output + row * channels
                    for c in 0..<channels { y[c] = x[c] * a[c] + b[c] }
                }
                biasActivationForward(values: output + rows.lowerBound * channels, rows: rows.count, columns: channels,
                                      rowStride: channels, bias: nil, activation: activation)
            }
        }
    }
}

/// The backward pass of `batchNormForward`, gradients added into the buffers. With
/// `batchStatistics` the mean and variance are the batch's own, and the input gradient carries
/// their dependence on the input: `dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂))`; without, they
/// are constants (running statistics) and `dx = γ·σ⁻¹·dy`.
/// - Parameters:
///   - outputGradient: `pixels x channels`, already masked by the activation's derivative.
///   - input: `pixels x channels`, the forward input.
/// - Complexity: O(pixels · channels).
public func batchNormBackward(
    inputGradient: UnsafeMutablePointer<Float>?, scaleGradient: UnsafeMutablePointer<Float>?,
    shiftGradient: UnsafeMutablePointer<Float>?, outputGradient dy: UnsafePointer<Float>,
    input: UnsafePointer<Float>, mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
    scale: UnsafePointer<Float>, pixels: Int, channels: Int, batchStatistics: Bool
) {
    // Sums of dy (first half) and dy · x̂ (second half) per channel.
    let sums = channelSums(pixels: pixels, channels: 2 * channels) { row, sums in
        let x = row.x, g = row.dy
        for c in 0..<channels {
            let gc = Double(g[c])
            sums[c] += gc
            sums[channels + c] += gc * Double((x[c] - mean[c]) * inverseStd[c])
        }
    } rowSource: { (x: input + $0 * channels, dy: dy + $0 * channels) }
    for c in 0..<channels {
        shiftGradient?[c] += Float(sums[c])
        scaleGradient?[c] += Float(sums[channels + c])
    }
    guard let inputGradient else { return }
    let m = Double(max(pixels, 1))
    let meanDy = (0..<channels).map { batchStatistics ? Float(sums[$0] / m) : 0 }
    let meanDyXhat = (0..<channels).map { batchStatistics ? Float(sums[channels + $0] / m) : 0 }
    let factor = (0..<channels).map { scale[$0] * inverseStd[$0] }
    parallelChunks(pixels, minimumChunk: 256) { rows in
        for row in rows {
            let x = input + row * channels, g = dy + row * channels, dx = inputGradient + row * channels
            for c in 0..<channels {
                let xhat = (x[c] - mean[c]) * inverseStd[c]
                dx[c] += factor[c] * (g[c] - meanDy[c] - xhat * meanDyXhat[c])
            }
        }
    }
}

/// Per-column double-precision sums over `pixels` rows: `accumulate(row, sums)` adds one row.
/// Rows are split over threads, each with its own sums, added at the end.
private func channelSums<Row>(
    pixels: Int, channels: Int, _ accumulate: (Row, UnsafeMutablePointer<Double>) -> Void,
    rowSource: (Int) -> Row
) -> [Double] {
    let chunks = max(1, min(kernelThreadCount, pixels / 1024))
    var partials = [Double](repeating: 0, count: chunks * channels)
    partials.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        parallelChunks(chunks) { chunkRange in
            for chunk in chunkRange {
                let sums = base + chunk * channels
                for row in (pixels * chunk / chunks)..<(pixels * (chunk + 1) / chunks) { accumulate(rowSource(row), sums) }
            }
        }
    }
    var total = [Double](repeating: 0, count: channels)
    for chunk in 0..<chunks {
        for c in 0..<channels { total[c] += partials[chunk * channels + c] }
    }
    return total
}
