/// The most floats one thread's im2col tile may hold (8 MiB): large enough that each product
/// amortises packing the weights, small enough to stay near the cache.
let im2colTileFloats = 1 << 21

/// 2-D convolution over an NHWC batch, with bias and activation fused:
/// `output = activation(conv(input, weight) + bias)`.
///
/// Pointwise (1x1) convolutions are one matrix product on the input itself. Depthwise ones
/// (`groups == inputChannels == outputChannels`) run `depthwiseConv2dForward`. Every other case
/// unrolls tiles of output pixels into an im2col matrix, `pixels x (kh·kw·cin/groups)`, and
/// multiplies it by the HWIO weight, one group at a time.
///
/// - Parameters:
///   - output: `N x OH x OW x outputPixelStride`; channels `0..<outputChannels` of each pixel are
///     written, so a caller can place several convolutions side by side (concatenation).
///   - input: `N x H x W x C`, contiguous.
///   - weight: `KH x KW x (C/groups) x OC` (HWIO).
///   - bias: `OC` values or nil.
/// - Complexity: 2·N·OH·OW·OC·KH·KW·C/groups floating-point operations.
public func conv2dForward(
    output: UnsafeMutablePointer<Float>, outputPixelStride: Int,
    input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    geometry g: ConvGeometry, activation: Activation
) {
    precondition(outputPixelStride >= g.outputChannels, "output pixel stride too small")
    if g.groups > 1 && g.groups == g.inputChannels && g.groups == g.outputChannels {
        depthwiseConv2dForward(
            output: output, outputPixelStride: outputPixelStride, input: input, weight: weight,
            bias: bias, geometry: g, activation: activation)
        return
    }
    let rows = g.outputPixels
    let groupColumns = g.outputChannels / g.groups
    let splitRows = rows >= kernelThreadCount * 64 || groupColumns < 32 * kernelThreadCount
    for group in 0..<g.groups {
        let weightColumn = weight + group * groupColumns
        let groupBias = bias.map { $0 + group * groupColumns }
        let outputColumn = output + group * groupColumns
        // Multiplies rows `rowRange` of the im2col matrix `a` (row stride `lda`) by columns
        // `columns` of this group's weights, then runs the epilogue on that block.
        func multiply(_ a: UnsafePointer<Float>, lda: Int, rows rowRange: Range<Int>, columns: Range<Int>) {
            let c = outputColumn + rowRange.lowerBound * outputPixelStride + columns.lowerBound
            gemm(m: rowRange.count, n: columns.count, k: g.patchSize, a: a, lda: lda,
                 b: weightColumn + columns.lowerBound, ldb: g.outputChannels, c: c, ldc: outputPixelStride)
            biasActivationForward(
                values: c, rows: rowRange.count, columns: columns.count, rowStride: outputPixelStride,
                bias: groupBias.map { $0 + columns.lowerBound }, activation: activation)
        }
        if g.isPointwise {
            if splitRows {
                parallelChunks(rows, minimumChunk: 64) { range in
                    multiply(input + range.lowerBound * g.inputChannels, lda: g.inputChannels,
                             rows: range, columns: 0..<groupColumns)
                }
            } else {
                parallelChunks(groupColumns, minimumChunk: 32) { columns in
                    multiply(input, lda: g.inputChannels, rows: 0..<rows, columns: columns)
                }
            }
        } else if splitRows {
            parallelChunks(rows, minimumChunk: 64) { range in
                let tile = max(16, min(range.count, im2colTileFloats / g.patchSize))
                withScratch(count: tile * g.patchSize) { scratch in
                    for start in stride(from: range.lowerBound, to: range.upperBound, by: tile) {
                        let tileRows = start..<min(start + tile, range.upperBound)
                        im2col(scratch, input: input, geometry: g, group: group, rows: tileRows)
                        multiply(scratch, lda: g.patchSize, rows: tileRows, columns: 0..<groupColumns)
                    }
                }
            }
        } else {
            // Few pixels, many channels: unroll once, then split the output channels.
            withScratch(count: rows * g.patchSize) { scratch in
                im2col(scratch, input: input, geometry: g, group: group, rows: 0..<rows)
                parallelChunks(groupColumns, minimumChunk: 32) { columns in
                    multiply(scratch, lda: g.patchSize, rows: 0..<rows, columns: columns)
                }
            }
        }
    }
}

/// Writes rows `rows` of the im2col matrix of one group: row `r` holds the
/// `KH x KW x (C/groups)` input patch under output pixel `r`, zeros where it overlaps padding.
/// - Complexity: O(rows.count · patchSize).
func im2col(
    _ matrix: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: ConvGeometry,
    group: Int, rows: Range<Int>
) {
    let channels = g.inputChannels / g.groups
    let pixelsPerImage = g.outputHeight * g.outputWidth
    var destination = matrix
    for row in rows {
        let image = row / pixelsPerImage
        let oh = (row % pixelsPerImage) / g.outputWidth
        let ow = row % g.outputWidth
        let imageBase = input + image * g.inputHeight * g.inputWidth * g.inputChannels + group * channels
        for kh in 0..<g.kernelHeight {
            let ih = oh * g.strideHeight - g.padding.top + kh
            guard ih >= 0 && ih < g.inputHeight else {
                destination.update(repeating: 0, count: g.kernelWidth * channels)
                destination += g.kernelWidth * channels
                continue
            }
            let inputRow = imageBase + ih * g.inputWidth * g.inputChannels
            for kw in 0..<g.kernelWidth {
                let iw = ow * g.strideWidth - g.padding.left + kw
                if iw >= 0 && iw < g.inputWidth {
                    let source = inputRow + iw * g.inputChannels
                    if channels <= 8 {
                        for c in 0..<channels { destination[c] = source[c] }
                    } else {
                        destination.update(from: source, count: channels)
                    }
                } else {
                    destination.update(repeating: 0, count: channels)
                }
                destination += channels
            }
        }
    }
}
