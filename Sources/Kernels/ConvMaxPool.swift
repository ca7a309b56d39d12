/// A convolution (bias and activation fused) followed by max pooling without padding, as one
/// kernel: `output = maxPool(activation(conv(input, weight) + bias))`, small_cnn's two layers.
///
/// Run as two layers, the convolution's whole output (small_cnn's stem: 299 x 299 x 16 floats, 5.7
/// MB, beyond L2) is written to memory and read back by the pooling, and each layer is a trip
/// through the worker threads. Here the pooled output goes in bands of whole output rows of one
/// image: the convolution rows a band's windows cover are computed into a buffer that stays in L2
/// (`convolveBlock` on the band's rows as an image of their own, padded as the layer is, so each
/// pixel has the same taps), and pooled at once. Convolution rows and columns that no window covers
/// (floor mode: 299 = 4 · 74 + 3) are not computed. Each value is computed by the same arithmetic
/// as `conv2dForward` then `maxPool2dForward`, so the result is the same floats.
///
/// - Parameters:
///   - output: `N x PH x PW x OC`, contiguous.
///   - input: `N x H x W x C`, contiguous.
///   - weight: the packed one-group HWIO weight; `bias`: `OC` values or nil.
///   - geometry: the convolution's geometry (one group).
///   - pool: the pooling's geometry over the `N x OH x OW x OC` convolution output, without padding.
/// - Complexity: 2·N·(PH·SH)·(PW·SW)·OC·KH·KW·C floating-point operations at most.
public func conv2dMaxPoolForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: PackedConvWeight,
    bias: UnsafePointer<Float>?, geometry g: ConvGeometry, activation: Activation, pool p: PoolGeometry
) {
    precondition(g.groups == 1 && weight.groups.count == 1 && weight.groups[0].rows == g.patchSize,
                 "packed weight does not match the geometry")
    precondition(p.batch == g.batch && p.inputHeight == g.outputHeight && p.inputWidth == g.outputWidth
                 && p.channels == g.outputChannels && p.padding == .none, "the pooling does not fit the convolution")
    let b = weight.groups[0]
    let channels = g.outputChannels
    // Convolution columns the windows cover: the bands' right padding is cut to what they need.
    let convWidth = (p.outputWidth - 1) * p.strideWidth + p.kernelWidth
    let padRight = max(0, (convWidth - 1) * g.strideWidth + g.kernelWidth - g.padding.left - g.inputWidth)
    let bandWidth = (g.padding.left + g.inputWidth + padRight - g.kernelWidth) / g.strideWidth + 1
    let convRowFloats = bandWidth * channels
    // Pooled rows a band: at most `bandFloats` of convolution output.
    let rowsFor = { (pooled: Int) in (pooled - 1) * p.strideHeight + p.kernelHeight }
    let bands = evenBands(rows: p.outputHeight, images: g.batch,
                          maxRows: (bandFloats / convRowFloats - p.kernelHeight) / p.strideHeight + 1)
    let bandWork = rowsFor(bands.maxRows) * convWidth * channels * g.patchSize
    let bandConvFloats = rowsFor(bands.maxRows) * convRowFloats
    parallelChunks(bands.count, minimumChunk: max(1, minimumParallelWork / max(1, bandWork))) { chunk in
        withUnsafeTemporaryAllocation(byteCount: bandConvFloats * MemoryLayout<Float>.stride, alignment: 64) { buffer in
            let convolved = buffer.baseAddress!.bindMemory(to: Float.self, capacity: bandConvFloats)
            for index in chunk {
                let (image, pooledRows) = bands.band(index)
                let convRows = pooledRows.lowerBound * p.strideHeight..<pooledRows.lowerBound * p.strideHeight + rowsFor(pooledRows.count)
                // The band's convolution over just the input rows its windows reach.
                let (needed, band) = g.band(outputRows: convRows, rightPadding: padRight)
                precondition(band.outputWidth == bandWidth, "band geometry")
                convolveBlock(
                    output: convolved, outputPixelStride: channels,
                    input: input + (image * g.inputHeight + needed.lowerBound) * g.inputWidth * g.inputChannels,
                    weight: b, bias: bias, geometry: band, group: 0,
                    rowPanels: 0..<(band.outputPixels + microTileRows - 1) / microTileRows, columnPanels: 0..<b.panels,
                    activation: activation)
                for pooled in pooledRows {
                    let windowTop = convolved + (pooled * p.strideHeight - convRows.lowerBound) * convRowFloats
                    for ow in 0..<p.outputWidth {
                        maxPoolPixel(
                            output: output + ((image * p.outputHeight + pooled) * p.outputWidth + ow) * channels,
                            input: windowTop + ow * p.strideWidth * channels, rows: 0..<p.kernelHeight,
                            columns: 0..<p.kernelWidth, rowStride: convRowFloats, channels: channels)
                    }
                }
            }
        }
    }
}

/// Floats of convolution output `conv2dMaxPoolForward` keeps per band: 256 KiB, well inside L2.
private let bandFloats = 1 << 16
