/// The gradients of a 2-D convolution (one group) over an NHWC batch, added into the gradient
/// buffers: `conv2dForward`'s backward pass.
///
/// Explicit im2col: for a tile of output pixels the patches are unrolled into a
/// `tile x patchSize` matrix `P` (a pointwise convolution uses the input itself), then
/// `dW += Pᵀ · dY` and `dP = dY · Wᵀ`, which col2im adds back into the input gradient. Images
/// are split over threads; each thread sums its own weight gradient, and the sums are added at
/// the end, so no two threads write the same value. At stride 1 the input gradient is a
/// convolution itself (`addInputGradientByConvolution`), run by `conv2dForward` instead, and
/// a 3x3 layer's weight gradient a Winograd sum (`addWeightGradientWinograd`) where the forward
/// pass would take Winograd.
///
/// - Parameters:
///   - inputGradient: `N x H x W x C`, or nil when not needed; added into.
///   - weightGradient: HWIO `KH x KW x C x OC`, or nil; added into.
///   - biasGradient: `OC`, or nil; added into.
///   - outputGradient: `N x OH x OW x OC`, the gradient before the activation (already masked).
///   - input: `N x H x W x C`. - weight: HWIO `KH x KW x C x OC`.
/// - Complexity: 4·N·OH·OW·OC·KH·KW·C floating-point operations.
public func conv2dBackward(
    inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?,
    biasGradient: UnsafeMutablePointer<Float>?, outputGradient dy: UnsafePointer<Float>,
    input: UnsafePointer<Float>, weight: UnsafePointer<Float>, geometry g: ConvGeometry
) {
    precondition(g.groups == 1, "conv2dBackward handles one group; use depthwiseConv2dBackward")
    var (inputGradient, weightGradient) = (inputGradient, weightGradient)
    if let dx = inputGradient, !g.isPointwise, let transposed = g.inputGradientGeometry {
        addInputGradientByConvolution(dx, outputGradient: dy, weight: weight, geometry: g, transposed: transposed)
        inputGradient = nil
    }
    if let dw = weightGradient, g.prefersWinogradWeightGradient {
        addWeightGradientWinograd(dw, outputGradient: dy, input: input, geometry: g)
        weightGradient = nil
    }
    let (p, oc) = (g.patchSize, g.outputChannels)
    let pixelsPerImage = g.outputHeight * g.outputWidth
    let direct = g.isPointwise
    // Tiles of about a million im2col values (4 MiB).
    let tileRows = max(1, (1 << 20) / max(p, 1))
    let chunks = min(kernelThreadCount, g.batch)
    let partialCount = weightGradient == nil ? 0 : p * oc
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: max(1, chunks * partialCount))
    partials.update(repeating: 0, count: chunks * partialCount)
    defer { partials.deallocate() }
    parallelChunks(inputGradient == nil && weightGradient == nil ? 0 : chunks) { chunkRange in
        let columnFloats = direct ? 0 : tileRows * p
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 2 * columnFloats))
        defer { columns.deallocate() }
        let columnGradient = columns + columnFloats
        for chunk in chunkRange {
            let dw = partials + chunk * partialCount
            // The chunk's images' output pixels, in tiles that may span images (deep layers
            // have few pixels per image, and longer products run faster).
            let chunkRows = (g.batch * chunk / chunks * pixelsPerImage)..<(g.batch * (chunk + 1) / chunks * pixelsPerImage)
            for row0 in stride(from: chunkRows.lowerBound, to: chunkRows.upperBound, by: tileRows) {
                let rows = min(tileRows, chunkRows.upperBound - row0)
                let dyTile = dy + row0 * oc
                let patches: UnsafePointer<Float>
                if direct {
                    patches = input + row0 * g.inputChannels
                } else {
                    im2col(columns, input: input, geometry: g, firstRow: row0, rows: rows)
                    patches = UnsafePointer(columns)
                }
                if weightGradient != nil {
                    gemm(m: p, n: oc, k: rows, a: patches, lda: p, transposeA: true,
                         b: dyTile, ldb: oc, transposeB: false, c: dw, ldc: oc, beta: 1)
                }
                guard let inputGradient else { continue }
                if direct {
                    gemm(m: rows, n: p, k: oc, a: dyTile, lda: oc, transposeA: false,
                         b: weight, ldb: oc, transposeB: true,
                         c: inputGradient + row0 * g.inputChannels, ldc: p, beta: 1)
                } else {
                    gemm(m: rows, n: p, k: oc, a: dyTile, lda: oc, transposeA: false,
                         b: weight, ldb: oc, transposeB: true, c: columnGradient, ldc: p, beta: 0)
                    col2imAdding(inputGradient, columns: columnGradient, geometry: g, firstRow: row0, rows: rows)
                }
            }
        }
    }
    if let weightGradient {
        for chunk in 0..<chunks {
            let dw = partials + chunk * partialCount
            for i in 0..<partialCount { weightGradient[i] += dw[i] }
        }
    }
    if let biasGradient {
        for row in 0..<g.outputPixels {
            for c in 0..<oc { biasGradient[c] += dy[row * oc + c] }
        }
    }
}

extension ConvGeometry {
    /// Whether `conv2dBackward` takes this layer's weight gradient by Winograd F(2x2, 3x3)
    /// (`addWeightGradientWinograd`): 3x3 layers that the forward pass would run by Winograd
    /// (`winogradAlgorithm`: stride 1, channel counts the transforms take, enough tiles).
    var prefersWinogradWeightGradient: Bool {
        (kernelHeight, kernelWidth) == (3, 3) && winogradAlgorithm != nil
    }

    /// The convolution whose output is this one's input gradient, at stride 1: over the output
    /// gradient (`N x OH x OW x OC`), by the weight turned 180° with its channels swapped, padded by
    /// `kernel − 1 − padding` on each side, to `N x H x W x C`. Nil for other strides, for groups,
    /// and for a padding wider than `kernel − 1` (no tap of the input would reach it).
    var inputGradientGeometry: ConvGeometry? {
        guard strideHeight == 1, strideWidth == 1, groups == 1 else { return nil }
        let padding = Padding(top: kernelHeight - 1 - self.padding.top, bottom: kernelHeight - 1 - self.padding.bottom,
                              left: kernelWidth - 1 - self.padding.left, right: kernelWidth - 1 - self.padding.right)
        guard let g = ConvGeometry(batch: batch, inputHeight: outputHeight, inputWidth: outputWidth, inputChannels: outputChannels,
                                   outputChannels: inputChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                                   padding: padding),
              g.outputHeight == inputHeight, g.outputWidth == inputWidth else { return nil }
        return g
    }
}

/// Adds a stride-1 convolution's input gradient into `inputGradient`: `dX = conv(dY, W̃)` with
/// `W̃[kh][kw][o][c] = W[KH−1−kh][KW−1−kw][c][o]` (`ConvGeometry.inputGradientGeometry`), run by
/// `conv2dForward`, so by Winograd where the shape allows (VGG16's and InceptionV3's 3x3, 1x7
/// and 7x1 layers) and on the direct or implicit-GEMM tiles otherwise, with no im2col matrix and
/// no col2im. The same sums as `dY · Wᵀ` then col2im, in another order.
/// - Complexity: 2·N·H·W·C·KH·KW·OC operations, plus O(KH·KW·C·OC) to turn the weight.
func addInputGradientByConvolution(
    _ inputGradient: UnsafeMutablePointer<Float>, outputGradient dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    geometry g: ConvGeometry, transposed: ConvGeometry
) {
    let (kh, kw, c, oc) = (g.kernelHeight, g.kernelWidth, g.inputChannels, g.outputChannels)
    let turned = UnsafeMutablePointer<Float>.allocate(capacity: kh * kw * oc * c)
    defer { turned.deallocate() }
    for tap in 0..<(kh * kw) {
        let source = weight + (kh * kw - 1 - tap) * c * oc, destination = turned + tap * oc * c
        for i in 0..<c {
            for o in 0..<oc { destination[o * c + i] = source[i * oc + o] }
        }
    }
    let packed = PackedConvWeight(hwio: turned, patchSize: kh * kw * oc, outputChannels: c, groups: 1, winograd: (kh, kw))
    let count = g.batch * g.inputHeight * g.inputWidth * c
    let gradient = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { gradient.deallocate() }
    conv2dForward(output: gradient, outputPixelStride: c, input: dy, weight: packed, bias: nil, geometry: transposed,
                  activation: .identity)
    for i in 0..<count { inputGradient[i] += gradient[i] }
}

/// Unrolls the patches of output pixels `firstRow ..< firstRow + rows` (one image) into a
/// row-major `rows x patchSize` matrix; padding reads as zero.
/// - Complexity: O(rows · patchSize).
func im2col(
    _ columns: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: ConvGeometry,
    firstRow: Int, rows: Int
) {
    let c = g.inputChannels
    forEachPatchRun(geometry: g, firstRow: firstRow, rows: rows) { column, inputOffset in
        let destination = columns + column
        if let inputOffset { destination.update(from: input + inputOffset, count: c) }
        else { destination.update(repeating: 0, count: c) }
    }
}

/// Adds a `rows x patchSize` matrix of patch gradients back into the input gradient: the
/// transpose of `im2col`. Padding positions are dropped.
/// - Complexity: O(rows · patchSize).
func col2imAdding(
    _ inputGradient: UnsafeMutablePointer<Float>, columns: UnsafePointer<Float>, geometry g: ConvGeometry,
    firstRow: Int, rows: Int
) {
    let c = g.inputChannels
    forEachPatchRun(geometry: g, firstRow: firstRow, rows: rows) { column, inputOffset in
        guard let inputOffset else { return }
        let source = columns + column, destination = inputGradient + inputOffset
        for j in 0..<c { destination[j] += source[j] }
    }
}

/// Calls `body` for every `C`-value run of the im2col matrix of rows `firstRow ..< firstRow + rows`:
/// with the run's offset in the matrix and the offset of the input pixel it copies (nil in the padding).
@inline(__always)
private func forEachPatchRun(
    geometry g: ConvGeometry, firstRow: Int, rows: Int, _ body: (Int, Int?) -> Void
) {
    let pixelsPerImage = g.outputHeight * g.outputWidth
    let (c, p) = (g.inputChannels, g.patchSize)
    for r in 0..<rows {
        let row = firstRow + r
        let image = row / pixelsPerImage, pixel = row % pixelsPerImage
        let top = (pixel / g.outputWidth) * g.strideHeight - g.padding.top
        let left = (pixel % g.outputWidth) * g.strideWidth - g.padding.left
        var column = r * p
        for kh in 0..<g.kernelHeight {
            let ih = top + kh
            for kw in 0..<g.kernelWidth {
                let iw = left + kw
                let inside = ih >= 0 && ih < g.inputHeight && iw >= 0 && iw < g.inputWidth
                body(column, inside ? ((image * g.inputHeight + ih) * g.inputWidth + iw) * c : nil)
                column += c
            }
        }
    }
}

/// The gradients of a depthwise convolution (channel multiplier 1), added into the buffers:
/// `depthwiseConv2dForward`'s backward pass. Images are split over threads, each with its own
/// weight-gradient sum.
///
/// - Parameters:
///   - inputGradient: `N x H x W x C`, or nil; added into.
///   - weightGradient: `KH x KW x C`, or nil; added into.
///   - biasGradient: `C`, or nil; added into.
///   - outputGradient: `N x OH x OW x C`, already masked by the activation's derivative.
///   - input: `N x H x W x C`. - weight: `KH x KW x C`.
/// - Complexity: 4·N·OH·OW·C·KH·KW floating-point operations.
public func depthwiseConv2dBackward(
    inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?,
    biasGradient: UnsafeMutablePointer<Float>?, outputGradient dy: UnsafePointer<Float>,
    input: UnsafePointer<Float>, weight: UnsafePointer<Float>, geometry g: ConvGeometry
) {
    let channels = g.inputChannels
    precondition(g.groups == channels && g.outputChannels == channels, "not a depthwise geometry")
    let weightCount = g.kernelHeight * g.kernelWidth * channels
    let chunks = min(kernelThreadCount, g.batch)
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * weightCount)
    partials.update(repeating: 0, count: chunks * weightCount)
    defer { partials.deallocate() }
    parallelChunks(inputGradient == nil && weightGradient == nil ? 0 : chunks) { chunkRange in
        for chunk in chunkRange {
            let dw = partials + chunk * weightCount
            for image in (g.batch * chunk / chunks)..<(g.batch * (chunk + 1) / chunks) {
                for oh in 0..<g.outputHeight {
                    let dyRow = dy + ((image * g.outputHeight + oh) * g.outputWidth) * channels
                    for kh in 0..<g.kernelHeight {
                        let ih = oh * g.strideHeight - g.padding.top + kh
                        guard ih >= 0 && ih < g.inputHeight else { continue }
                        let rowOffset = ((image * g.inputHeight + ih) * g.inputWidth) * channels
                        for kw in 0..<g.kernelWidth {
                            let tap = (kh * g.kernelWidth + kw) * channels
                            let first = max(0, (g.padding.left - kw + g.strideWidth - 1) / g.strideWidth)
                            let last = min(g.outputWidth, (g.inputWidth - 1 + g.padding.left - kw + g.strideWidth) / g.strideWidth)
                            guard first < last else { continue }
                            for ow in first..<last {
                                let offset = rowOffset + (ow * g.strideWidth - g.padding.left + kw) * channels
                                let go = dyRow + ow * channels
                                if weightGradient != nil {
                                    let x = input + offset, w = dw + tap
                                    for c in 0..<channels { w[c] += go[c] * x[c] }
                                }
                                if let inputGradient {
                                    let dx = inputGradient + offset, w = weight + tap
                                    for c in 0..<channels { dx[c] += go[c] * w[c] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    if let weightGradient {
        for chunk in 0..<chunks {
            for i in 0..<weightCount { weightGradient[i] += partials[chunk * weightCount + i] }
        }
    }
    if let biasGradient {
        for row in 0..<g.outputPixels {
            for c in 0..<channels { biasGradient[c] += dy[row * channels + c] }
        }
    }
}
