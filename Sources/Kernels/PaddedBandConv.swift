/// Direct convolution over padded bands: the wide 3x3 (and 5x5, 1x7, 7x1) layers of VGG16 and
/// InceptionV3, and the 3-channel stems, on the direct tiles, without im2col.
///
/// The packed path (`convolveBlock`) unrolls every output pixel's patch into a panel and sums the
/// depth in 512-deep slices, storing and reloading the 12 x 32 accumulators between slices. Here a
/// band of output rows is computed from a copy of the input rows it reads, padded with zeros on
/// every side (a few hundred KiB, kept in L2), so that every run of 12 output pixels in a row reads
/// its windows at one pixel stride from one pointer: the direct tiles (`ecg_direct12x32_*`) sum the
/// whole depth in registers. Tiles start at each row's first pixel. A row's last pixels, when the
/// width is not a multiple of 12, take the set's smallest short tile that holds them (`Tiles.short`:
/// 4 or 8 pixels with AVX-512, 6 with AVX2); where none does, a 12-pixel tile also computes pixels
/// past the row's end (reading the next padded row, or the slack after the band), which are dropped.
///
/// The sum runs over window row, column and channel in one chain, as the packed tile does within a
/// slice: the floats equal the packed path's where the patch fits one 512-deep slice, and differ by
/// rounding (a few ulp) where the packed path splits it.

extension ConvGeometry {
    /// Whether `conv2dForward` runs this layer as padded bands (when the kernel set has direct
    /// tiles): one group, not pointwise, and output rows at least 28 pixels wide. Timed layer by
    /// layer against the packed path, both in one process, on a 2-core Intel AVX-512 VM
    /// (docs/performance.md): 0.6-0.97x its time from 35 pixels wide up (InceptionV3's 147, 71 and
    /// 35; VGG16's 224 and 112), the same at 56, 1.2x at 28 while a row's third tile computed 8
    /// pixels past its end, and still 1.01-1.04x for VGG16 with the short tiles. On a 2-core AMD Zen
    /// 5 VM the 28-wide layers took 0.95-0.96x the packed path's time (VGG16 0.99 at batch 1,
    /// 0.97-0.98 at batch 8), and 14-wide ones 1.1x. Thin layers (`prefersDirectTiles`) take them
    /// too: their direct tiles read the input in place, but panels of 12 pixels that cross an
    /// output row are packed, and working out where each panel reads cost small_cnn's stem as much
    /// again; on padded bands that layer and its pooling took 0.46 ms at batch 1 on one thread
    /// against 0.55 (Zen 5 VM), VGG16's first layer 0.48 against 0.55 on two.
    var prefersPaddedBands: Bool {
        groups == 1 && !isPointwise && outputWidth >= 28
    }
}

/// Output rows per band: about 16 tiles, so that a 32-column weight panel (up to 4608 x 32 floats)
/// is read from L2 for 16 tiles, and the band's padded input (16 tiles' windows) stays in L2 too.
private let tilesPerBand = 16
/// Padded input floats a band may take however few tiles that makes (64 KiB): a thin layer's band
/// copies its input rows for more than 16 tiles, so that the rows its windows overlap are copied
/// fewer times (small_cnn's stem, in bands of one 25-tile row, copied 3 input rows for each: 13 %
/// of the network's time on one thread at batch 8; the layer took 0.50 ms at batch 1 so, 0.46 in
/// bands of 18 rows).
private let bandInputFloats = 1 << 14

extension ConvGeometry {
    /// Floats of one input row padded left and right, as `convolvePaddedBand` copies it.
    var paddedRowFloats: Int { (inputWidth + padding.left + padding.right) * inputChannels }

    /// The most output rows `convolvePaddedBand` computes at a time: about `tilesPerBand` tiles, or
    /// as many as `bandInputFloats` of padded input holds where that is more.
    var paddedBandRows: Int {
        let byInput = (bandInputFloats / paddedRowFloats - kernelHeight) / strideHeight + 1
        return max(1, tilesPerBand / ((outputWidth + microTileRows - 1) / microTileRows), byInput)
    }

    /// The floats of scratch `convolvePaddedBand` needs for `rows` output rows: the padded input
    /// rows they read, and the slack a row's last tile reads past its end (up to 12 pixel strides).
    func paddedBandFloats(rows: Int) -> Int {
        return ((rows - 1) * strideHeight + kernelHeight) * paddedRowFloats + microTileRows * strideWidth * inputChannels
    }
}

/// The direct tiles `conv2dForward` runs a layer with a one-group weight `b` on as padded bands,
/// or nil when it takes another path: the layer does not `prefersPaddedBands`, the kernel set has
/// no direct tiles, or the weight has bf16 or int8 panels. `conv2dMaxPoolForward` asks the same.
func paddedBandTiles(_ g: ConvGeometry, weight b: PackedMatrix) -> (wide: Tiles.DirectFunction, narrow: Tiles.DirectFunction)? {
    guard g.prefersPaddedBands, let direct = activeTiles.direct, LowPrecisionTiles(b) == nil else { return nil }
    return (direct.wide, direct.narrow)
}

/// `conv2dForward` for a layer that `prefersPaddedBands`, on the direct tiles `tiles`: bands of
/// output rows spread over threads, each computed by `convolvePaddedBand`.
func convolvePaddedBands(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight b: PackedMatrix, bias: UnsafePointer<Float>?, geometry g: ConvGeometry, activation: Activation,
    tiles: (wide: Tiles.DirectFunction, narrow: Tiles.DirectFunction)
) {
    let bands = evenBands(rows: g.outputHeight, images: g.batch, maxRows: g.paddedBandRows)
    let bandWork = bands.maxRows * g.outputWidth * g.patchSize * g.outputChannels
    parallelChunks(bands.count, minimumChunk: max(1, minimumParallelWork / max(1, bandWork))) { chunk in
        withScratch(count: g.paddedBandFloats(rows: bands.maxRows)) { padded in
            for band in chunk {
                let (image, rows) = bands.band(band)
                convolvePaddedBand(
                    output: output + (image * g.outputHeight + rows.lowerBound) * g.outputWidth * ldo, outputPixelStride: ldo,
                    padded: padded, input: input, weight: b, bias: bias, geometry: g, image: image, rows: rows,
                    activation: activation, tiles: tiles)
            }
        }
    }
}

/// Output rows `rows` of image `image` (`paddedBandRows` or fewer, for the copy to stay in L2),
/// written from `output` on, row after row of `outputWidth` pixels `ldo` floats apart: the input
/// rows they read are copied with zero padding into `padded` (`paddedBandFloats(rows:)` floats),
/// then every 32-column weight panel passes over the band's tiles, which add the bias and apply
/// the activation as they store.
func convolvePaddedBand(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, padded: UnsafeMutablePointer<Float>,
    input: UnsafePointer<Float>, weight b: PackedMatrix, bias: UnsafePointer<Float>?, geometry g: ConvGeometry,
    image: Int, rows: Range<Int>, activation: Activation, tiles: (wide: Tiles.DirectFunction, narrow: Tiles.DirectFunction)
) {
    let channels = g.inputChannels
    let tilesPerRow = (g.outputWidth + microTileRows - 1) / microTileRows
    let rowFloats = g.paddedRowFloats
    let span = g.kernelWidth * channels
    let set = activeTiles
    padBand(padded, count: g.paddedBandFloats(rows: rows.count), input: input, geometry: g, image: image, outputRows: rows)
    for column in 0..<b.panels {
        let width = b.panelWidth(column)
        let columns = min(microTileColumns, b.columns - column * microTileColumns)
        let tile = width == microTileColumns ? tiles.wide : tiles.narrow
        let prefetch = NextPanelPrefetch(rows: 0..<b.rows, ofPanel: column + 1 < b.panels ? column + 1 : nil,
                                         in: b, tiles: rows.count * tilesPerRow)
        for row in 0..<rows.count {
            let windows = padded + row * g.strideHeight * rowFloats
            for first in stride(from: 0, to: g.outputWidth, by: microTileRows) {
                let pixels = min(microTileRows, g.outputWidth - first)
                let share = prefetch.share(ofTile: row * tilesPerRow + first / microTileRows)
                let c = output + (row * g.outputWidth + first) * ldo + column * microTileColumns
                // A row's last pixels take the smallest short tile that holds them.
                var (tileRows, function) = (microTileRows, tile)
                if let short = set.shortTile(for: pixels) {
                    (tileRows, function) = (short.rows, width == microTileColumns ? short.direct.wide : short.direct.narrow)
                }
                withTileOutput(c: c, ldc: ldo, panelWidth: width, tileRows: tileRows, rows: pixels, columns: columns,
                               accumulate: false, bias: bias.map { $0 + column * microTileColumns }) { c, ldc, bias in
                    function(Int64(g.kernelHeight), Int64(span), UnsafePointer(windows + first * g.strideWidth * channels),
                         Int64(rowFloats), Int64(g.strideWidth * channels), b.panel(column), c, Int64(ldc),
                         bias, activation.tileCode, share.next, share.lines)
                }
            }
        }
    }
}

/// Copies the input rows that output rows `outputRows` of `image` read (`ConvGeometry.band`) into
/// `padded`, each row `inputWidth + padding.left + padding.right` pixels wide with zeros in the
/// padding, after the band's zero rows above the image; zeros follow, for the rows below the
/// image and the slack, up to `count` floats.
private func padBand(
    _ padded: UnsafeMutablePointer<Float>, count: Int, input: UnsafePointer<Float>, geometry g: ConvGeometry,
    image: Int, outputRows: Range<Int>
) {
    let channels = g.inputChannels
    let rowFloats = g.paddedRowFloats
    let (inputRows, band) = g.band(outputRows: outputRows)
    padded.update(repeating: 0, count: band.padding.top * rowFloats)
    for (r, y) in inputRows.enumerated() {
        let destination = padded + (band.padding.top + r) * rowFloats
        destination.update(repeating: 0, count: g.padding.left * channels)
        (destination + g.padding.left * channels).update(
            from: input + ((image * g.inputHeight + y) * g.inputWidth) * channels, count: g.inputWidth * channels)
        (destination + (g.padding.left + g.inputWidth) * channels).update(repeating: 0, count: g.padding.right * channels)
    }
    let filled = (band.padding.top + inputRows.count) * rowFloats
    (padded + filled).update(repeating: 0, count: count - filled)
}
