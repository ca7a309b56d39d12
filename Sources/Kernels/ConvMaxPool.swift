extension ConvGeometry {
    /// Whether `conv2dMaxPoolForward` is worth running rather than the convolution then the
    /// pooling: every band of the fused kernel reads the whole weight, which pays for thin layers
    /// (`prefersDirectTiles`) and those on padded bands (`prefersPaddedBands`: small_cnn's,
    /// VGG16's and InceptionV3's), but not for VGG16's last, 14 x 14 with a 9.4 MB weight, where the
    /// separate convolution splits the weight between the threads. Measured on a 2-core AMD Zen 5
    /// VM (docs/performance.md, one `ecg bench --layers` run): that layer fused took 2.25 ms against
    /// 2.06 for the two.
    public var prefersFusedMaxPool: Bool { groups == 1 && (prefersDirectTiles || prefersPaddedBands) }
}

/// A convolution (bias and activation fused) followed by max pooling without padding, as one
/// kernel: `output = maxPool(activation(conv(input, weight) + bias))`: small_cnn's two layers,
/// VGG16's convolutions before a pool (but the last), InceptionV3's `Conv2d_2b_3x3` and `Conv2d_4a_3x3`
/// (but inference runs those by Winograd where they have enough tiles: `InferenceOps.convMaxPool`).
///
/// Run as two layers, the convolution's whole output (small_cnn's stem: 299 x 299 x 16 floats, 5.7
/// MB, beyond L2; VGG16's first at batch 8: 103 MB, beyond L3) is written to memory and read back by
/// the pooling, and each layer is a trip through the worker threads. Here the pooled output goes in
/// bands of whole output rows of one image: the convolution rows a band's windows cover are computed
/// into a buffer that stays in L2, and pooled at once. The rows are computed the way
/// `conv2dForward` computes the layer: padded bands (`convolvePaddedBand`) for the wide layers that
/// take them, else `convolveBlock` on the band's rows as an image of their own, padded as the layer
/// is, so each pixel has the same taps (there, convolution columns that no window covers, in floor
/// mode: 299 = 4 · 74 + 3, are not computed). Overlapping windows (3x3 at stride 2) share a row
/// between consecutive bands: a thread keeps it from the band before rather than computing it
/// again. Each value is computed by the same arithmetic as `conv2dForward` then
/// `maxPool2dForward`, so the result is the same floats.
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
    let paddedTiles = paddedBandTiles(g, weight: b)
    // Convolution columns the windows cover: the packed path's bands cut their right padding to what
    // they need; padded bands compute whole rows.
    let convWidth = (p.outputWidth - 1) * p.strideWidth + p.kernelWidth
    let padRight = max(0, (convWidth - 1) * g.strideWidth + g.kernelWidth - g.padding.left - g.inputWidth)
    let bandWidth = paddedTiles != nil ? g.outputWidth : (g.padding.left + g.inputWidth + padRight - g.kernelWidth) / g.strideWidth + 1
    let convRowFloats = bandWidth * channels
    // Pooled rows a band: at most `bandFloats` of convolution output (but always one).
    let rowsFor = { (pooled: Int) in (pooled - 1) * p.strideHeight + p.kernelHeight }
    let bands = evenBands(rows: p.outputHeight, images: g.batch,
                          maxRows: max(1, (bandFloats / convRowFloats - p.kernelHeight) / p.strideHeight + 1))
    let bandWork = rowsFor(bands.maxRows) * convWidth * channels * g.patchSize
    let bandConvFloats = rowsFor(bands.maxRows) * convRowFloats
    parallelChunks(bands.count, minimumChunk: max(1, minimumParallelWork / max(1, bandWork))) { chunk in
        withScratch(count: bandConvFloats, slot: .bands) { convolved in
            // The convolution rows in `convolved` (of image `kept.image`), from the band before.
            var kept = (image: -1, rows: 0..<0)
            for index in chunk {
                let (image, pooledRows) = bands.band(index)
                let convRows = pooledRows.lowerBound * p.strideHeight..<pooledRows.lowerBound * p.strideHeight + rowsFor(pooledRows.count)
                // Rows the band before computed stay: moved to the front, the rest computed after them.
                let reused = image == kept.image ? convRows.clamped(to: kept.rows) : convRows.lowerBound..<convRows.lowerBound
                if !reused.isEmpty {
                    precondition(reused.lowerBound == convRows.lowerBound, "bands go down the image")
                    // The regions may overlap: `copyMemory` moves.
                    UnsafeMutableRawPointer(convolved).copyMemory(
                        from: convolved + (reused.lowerBound - kept.rows.lowerBound) * convRowFloats,
                        byteCount: reused.count * convRowFloats * MemoryLayout<Float>.stride)
                }
                let computed = reused.upperBound..<convRows.upperBound
                let into = convolved + reused.count * convRowFloats
                if let paddedTiles {
                    withScratch(count: g.paddedBandFloats(rows: g.paddedBandRows)) { padded in
                        for first in stride(from: computed.lowerBound, to: computed.upperBound, by: g.paddedBandRows) {
                            let rows = first..<min(first + g.paddedBandRows, computed.upperBound)
                            convolvePaddedBand(
                                output: into + (first - computed.lowerBound) * convRowFloats, outputPixelStride: channels,
                                padded: padded, input: input, weight: b, bias: bias, geometry: g, image: image, rows: rows,
                                activation: activation, tiles: paddedTiles)
                        }
                    }
                } else if !computed.isEmpty {
                    // The band's convolution over just the input rows its windows reach.
                    let (needed, band) = g.band(outputRows: computed, rightPadding: padRight)
                    precondition(band.outputWidth == bandWidth, "band geometry")
                    convolveBlock(
                        output: into, outputPixelStride: channels,
                        input: input + (image * g.inputHeight + needed.lowerBound) * g.inputWidth * g.inputChannels,
                        weight: b, bias: bias, geometry: band, group: 0,
                        rowPanels: 0..<(band.outputPixels + microTileRows - 1) / microTileRows, columnPanels: 0..<b.panels,
                        activation: activation)
                }
                kept = (image, convRows)
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
