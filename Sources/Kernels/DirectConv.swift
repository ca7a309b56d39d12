/// Direct convolution: the GEMM of `conv2dForward` with A read in place from the NHWC input
/// instead of unrolled into packed panels (im2col).
///
/// In a layer with few input channels the im2col copy costs as much as the product itself:
/// the 3-channel stems copy 27 scattered values per output pixel for 27 x 16 (or x 32)
/// multiply-adds, and the copy of a channel count under 32 goes value by value. The direct
/// tiles (Sources/CKernels, `ecg_direct12x32_*`) broadcast each value from where it lies. They
/// sum in the same order as the packed tiles (window row, column, channel), so the two paths give
/// the same floats. Panels whose windows cross the left or right border, or that run past the last
/// pixel, still pack.

extension ConvGeometry {
    /// Whether `convolveBlock` runs this layer on the direct tiles (when the kernel set has them):
    /// a pointwise convolution, whose input rows are already the A panel's rows (packing them was
    /// about as slow as the product in MobileNetV2's projections, with 16-64 output channels), or
    /// one group of fewer than 32 input channels whose patch fits one depth slice. `conv2dForward`
    /// runs the thin ones with output rows of 28 pixels or more on padded bands instead
    /// (`prefersPaddedBands`).
    var prefersDirectTiles: Bool {
        isPointwise || (groups == 1 && inputChannels < 32 && patchSize <= depthBlock)
    }

    /// Where the direct tile for output pixels `firstRow ..< firstRow + 12` reads its input, or nil
    /// when the panel must be packed: it runs past the last pixel, or (unless the convolution is
    /// pointwise) leaves its output row or has a window crossing the left or right border.
    /// - Returns: the offset of pixel 0's first in-image window row in the input, the window rows
    ///   that lie inside the image (rows in the vertical padding add nothing), and the floats
    ///   between consecutive pixels' windows.
    func directOrigin(firstRow: Int) -> (offset: Int, taps: Range<Int>, pixelStride: Int)? {
        guard firstRow + microTileRows <= outputPixels else { return nil }
        if isPointwise { return (firstRow * inputChannels, 0..<1, inputChannels) }
        let pixelsPerImage = outputHeight * outputWidth
        let pixel = firstRow % pixelsPerImage
        let (oh, ow) = (pixel / outputWidth, pixel % outputWidth)
        let left = ow * strideWidth - padding.left
        let right = (ow + microTileRows - 1) * strideWidth - padding.left + kernelWidth
        guard ow + microTileRows <= outputWidth, left >= 0, right <= inputWidth else { return nil }
        let top = oh * strideHeight - padding.top
        let taps = max(0, -top)..<max(max(0, -top), min(kernelHeight, inputHeight - top))
        let image = firstRow / pixelsPerImage
        let offset = ((image * inputHeight + top + taps.lowerBound) * inputWidth + left) * inputChannels
        return (offset, taps, strideWidth * inputChannels)
    }
}

/// `convolveBlock` for a layer that `prefersDirectTiles` (one group): row panels `rowPanels` x
/// column panels `columnPanels` of the output, each 12-pixel panel by direct tiles where
/// `directOrigin` allows, else packed like `convolveBlock` does. As there, the row panels go a
/// block at a time (about `packedBlockFloats` input values), and every column panel of the weight
/// passes over the whole block, so that a large weight (MobileNetV2's `Conv_1`, 320 x 1280) is read
/// once per block rather than once per 12 pixels. A pointwise patch is not split into depth slices.
/// Every tile, direct or packed, adds the bias and applies the activation as it stores.
func convolveDirectBlock(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight b: PackedMatrix, bias: UnsafePointer<Float>?, geometry g: ConvGeometry,
    rowPanels: Range<Int>, columnPanels: Range<Int>, activation: Activation,
    tiles: (wide: Tiles.DirectFunction, narrow: Tiles.DirectFunction, first24: Tiles.DirectFunction?)
) {
    let depth = g.patchSize
    let panelFloats = microTileRows * depth
    let span = g.kernelWidth * g.inputChannels
    let rowStride = g.inputWidth * g.inputChannels
    let blockPanels = max(1, min(rowPanels.count, packedBlockFloats / panelFloats))
    withScratch(count: blockPanels * panelFloats + g.inputChannels) { scratch in
        // Each panel's `directOrigin`, worked out once per block rather than once per column panel
        // (its divisions cost small_cnn's stem, with one column panel, 6 % of its time).
        withUnsafeTemporaryAllocation(of: (offset: Int, taps: Range<Int>, pixelStride: Int)?.self, capacity: blockPanels) { origins in
            let zeros = scratch + blockPanels * panelFloats
            zeros.update(repeating: 0, count: g.inputChannels)
            for blockStart in stride(from: rowPanels.lowerBound, to: rowPanels.upperBound, by: blockPanels) {
                let block = blockStart..<min(blockStart + blockPanels, rowPanels.upperBound)
                // Panels the direct tiles cannot read in place are packed first, each in its own slot.
                for (index, panel) in block.enumerated() {
                    origins[index] = g.directOrigin(firstRow: panel * microTileRows)
                    if origins[index] == nil {
                        packPatches(scratch + index * panelFloats, input: input, zeros: zeros, geometry: g, group: 0,
                                    firstRow: panel * microTileRows)
                    }
                }
                for column in columnPanels {
                    let width = b.panelWidth(column)
                    let columns = min(microTileColumns, b.columns - column * microTileColumns)
                    // The tile for the panel's direct tiles, and the columns it writes.
                    let (tile, tileWidth) = width == microTileColumns && columns <= 24 && columns > 16
                        ? tiles.first24.map { ($0, 24) } ?? (tiles.wide, width)
                        : (width == microTileColumns ? tiles.wide : tiles.narrow, width)
                    let prefetch = NextPanelPrefetch(rows: 0..<depth, ofPanel: column + 1 < columnPanels.upperBound ? column + 1 : nil,
                                                     in: b, tiles: block.count)
                    for (index, panel) in block.enumerated() {
                        let share = prefetch.share(ofTile: index)
                        let row = panel * microTileRows
                        let rows = min(microTileRows, g.outputPixels - row)
                        let c = output + row * ldo + column * microTileColumns
                        let columnBias = bias.map { $0 + column * microTileColumns }
                        if let origin = origins[index] {
                            // A direct panel has 12 real rows; one with fewer real columns goes through a scratch tile.
                            withTileOutput(c: c, ldc: ldo, panelWidth: tileWidth, rows: rows, columns: columns, accumulate: false,
                                           bias: columnBias) { c, ldc, bias in
                                tile(
                                    Int64(origin.taps.count), Int64(span), input + origin.offset, Int64(rowStride),
                                    Int64(origin.pixelStride), b.panel(column) + origin.taps.lowerBound * span * width,
                                    c, Int64(ldc), bias, activation.tileCode, share.next, share.lines)
                            }
                        } else {
                            microTile(depth: depth, a: scratch + index * panelFloats, b: b.panel(column), panelWidth: width,
                                      c: c, ldc: ldo, rows: rows, columns: columns, accumulate: false,
                                      bias: columnBias, activation: activation, prefetch: share)
                        }
                    }
                }
            }
        }
    }
}
