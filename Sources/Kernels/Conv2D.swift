/// Depth of one slice of the GEMM's shared dimension: a 12 x 512 slice of A (24 KiB) stays in
/// L1 while a 512 x 32 slice of B (64 KiB) streams from L2.
let depthBlock = 512
/// Floats of A packed per block: about 256 KiB, so a block stays in L2 across all of B's panels.
let packedBlockFloats = 1 << 16

/// 2-D convolution over an NHWC batch, with bias and activation fused:
/// `output = activation(conv(input, weight) + bias)`.
///
/// Implicit GEMM: tiles of output pixels are unrolled (im2col) straight into the micro-kernel's
/// packed A layout, and multiplied by the weight packed once at load time (`PackedConvWeight`),
/// one group at a time. One-group layers other than pointwise ones with output rows of 28 pixels
/// or more (`ConvGeometry.prefersPaddedBands`) run on the direct tiles over zero-padded copies of
/// bands of input rows (`convolvePaddedBands`). Pointwise layers, and narrower ones with few input
/// channels (`prefersDirectTiles`), skip the unrolling where they can: direct tiles read the input
/// in place (`convolveDirectBlock`). A weight transformed for Winograd (`PackedConvWeight.winograd`)
/// runs its layers at stride 1 by `conv2dWinograd` first, where `ConvGeometry.winogradAlgorithm` allows.
/// Depthwise convolutions have their own kernel, `depthwiseConv2dForward`. Work is split over
/// threads by output pixels, or by output channels when there are few pixels, and not at all
/// below `minimumParallelWork`.
///
/// - Parameters:
///   - output: `N x OH x OW x outputPixelStride`; channels `0..<outputChannels` of each pixel are
///     written, so a caller can place several convolutions side by side (concatenation).
///   - input: `N x H x W x C`, contiguous.
///   - weight: the HWIO weight `KH x KW x (C/groups) x OC`, packed.
///   - bias: `OC` values or nil.
/// - Complexity: 2·N·OH·OW·OC·KH·KW·C/groups floating-point operations.
public func conv2dForward(
    output: UnsafeMutablePointer<Float>, outputPixelStride: Int,
    input: UnsafePointer<Float>, weight: PackedConvWeight, bias: UnsafePointer<Float>?,
    geometry g: ConvGeometry, activation: Activation
) {
    precondition(outputPixelStride >= g.outputChannels, "output pixel stride too small")
    precondition(weight.groups.count == g.groups && weight.groups.allSatisfy { $0.rows == g.patchSize },
                 "packed weight does not match the geometry")
    let rowPanels = (g.outputPixels + microTileRows - 1) / microTileRows
    let groupColumns = g.outputChannels / g.groups
    if let winograd = weight.winograd, let (algorithm, tile) = winograd.plan(g) {
        conv2dWinograd(output: output, outputPixelStride: outputPixelStride, input: input,
                       weight: winograd.weight(for: algorithm), bias: bias, geometry: g, activation: activation, tile: tile)
        return
    }
    if let direct = paddedBandTiles(g, weight: weight.groups[0]) {
        convolvePaddedBands(output: output, outputPixelStride: outputPixelStride, input: input, weight: weight.groups[0],
                            bias: bias, geometry: g, activation: activation, tiles: direct)
        return
    }
    for group in 0..<g.groups {
        let b = weight.groups[group]
        // A layer too small to give every thread `minimumParallelWork` runs on this one.
        let threads = g.outputPixels * b.rows * b.columns < 2 * minimumParallelWork ? 1 : kernelThreadCount
        // Split pixels when each thread gets a few row panels or there are few column panels, else
        // split channels: with only 5 row panels (7 x 7 pixels) a thread would get 3 and the other
        // 2, one of them partial, and each would read the whole weight (Conv_1's is 1.6 MB). Either
        // way each thread gets as many tiles (row panel x column panel): MobileNetV2's 7 x 7 layers
        // to 160 channels (5 column panels) took 29 µs on one thread and 43 on the other in 2 and 3
        // panels (batch 1, 2-core Zen 5 VM).
        let byRows = rowPanels >= 4 * threads || b.panels < 2 * threads
        let chunks = min(threads, byRows ? rowPanels : b.panels)
        let tiles = rowPanels * b.panels
        parallelChunks(chunks) { range in
            for chunk in range {
                forEachRectangle(of: (tiles * chunk / chunks)..<(tiles * (chunk + 1) / chunks), rows: rowPanels,
                                 columns: b.panels, byRows: byRows) { rows, columns in
                    convolveBlock(
                        output: output + group * groupColumns, outputPixelStride: outputPixelStride, input: input,
                        weight: b, bias: bias.map { $0 + group * groupColumns }, geometry: g, group: group,
                        rowPanels: rows, columnPanels: columns, activation: activation)
                }
            }
        }
    }
}

/// Calls `body` with the rectangles (row panels, column panels) that tiles `tiles` of a `rows` x
/// `columns` grid cover, the tiles numbered row by row (`byRows`) or column by column: at most
/// three, part of a line, whole lines, part of a line.
func forEachRectangle(of tiles: Range<Int>, rows: Int, columns: Int, byRows: Bool,
                      _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
    guard !tiles.isEmpty else { return }
    let line = byRows ? columns : rows
    func emit(_ lines: Range<Int>, _ within: Range<Int>) { if byRows { body(lines, within) } else { body(within, lines) } }
    var t = tiles.lowerBound
    if t % line != 0, t < tiles.upperBound {
        let end = min(tiles.upperBound, (t / line + 1) * line)
        emit(t / line..<(t / line + 1), (t % line)..<((end - 1) % line + 1))
        t = end
    }
    let whole = (tiles.upperBound - t) / line
    if whole > 0 {
        emit((t / line)..<(t / line + whole), 0..<line)
        t += whole * line
    }
    if t < tiles.upperBound { emit((t / line)..<(t / line + 1), 0..<(tiles.upperBound - t)) }
}

/// Computes row panels `rowPanels` x column panels `columnPanels` of one group's output: im2col
/// packs a block of row panels, then the micro-tiles multiply it by the packed weight, one slice of
/// the depth at a time, adding the bias and applying the activation as they store the last slice.
/// Thin layers go to `convolveDirectBlock` instead, and a weight with bf16 or int8 panels to
/// `convolveBlockLowPrecision` when their tiles are in use.
func convolveBlock(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight b: PackedMatrix, bias: UnsafePointer<Float>?, geometry g: ConvGeometry, group: Int,
    rowPanels: Range<Int>, columnPanels: Range<Int>, activation: Activation
) {
    guard !rowPanels.isEmpty, !columnPanels.isEmpty else { return }
    if g.prefersLowPrecision, let tiles = LowPrecisionTiles(b) {
        convolveBlockLowPrecision(
            output: output, outputPixelStride: ldo, input: input, weight: b, bias: bias, geometry: g, group: group,
            rowPanels: rowPanels, columnPanels: columnPanels, activation: activation, tiles: tiles)
        return
    }
    if let direct = activeTiles.direct, g.prefersDirectTiles {
        convolveDirectBlock(
            output: output, outputPixelStride: ldo, input: input, weight: b, bias: bias, geometry: g,
            rowPanels: rowPanels, columnPanels: columnPanels, activation: activation, tiles: direct)
        return
    }
    let depth = g.patchSize
    let panelFloats = microTileRows * depth
    let blockPanels = max(1, min(rowPanels.count, packedBlockFloats / (microTileRows * min(depth, depthBlock))))
    withScratch(count: blockPanels * panelFloats + g.inputChannels) { scratch in
        let zeros = scratch + blockPanels * panelFloats
        zeros.update(repeating: 0, count: g.inputChannels)
        for blockStart in stride(from: rowPanels.lowerBound, to: rowPanels.upperBound, by: blockPanels) {
            let block = blockStart..<min(blockStart + blockPanels, rowPanels.upperBound)
            for (index, panel) in block.enumerated() {
                packPatches(scratch + index * panelFloats, input: input, zeros: zeros, geometry: g, group: group,
                            firstRow: panel * microTileRows)
            }
            for k0 in stride(from: 0, to: depth, by: depthBlock) {
                let kCount = min(depthBlock, depth - k0)
                // The tiles apply the bias and activation as they store the last slice's sums.
                let last = k0 + kCount == depth
                for column in columnPanels {
                    let width = b.panelWidth(column)
                    let bSlice = b.panel(column) + k0 * width
                    let columnWidth = min(microTileColumns, b.columns - column * microTileColumns)
                    // The tiles prefetch the slice read next: the next column's, else the first column's next slice.
                    let prefetch = column + 1 < columnPanels.upperBound
                        ? NextPanelPrefetch(rows: k0..<(k0 + kCount), ofPanel: column + 1, in: b, tiles: block.count)
                        : NextPanelPrefetch(rows: (k0 + kCount)..<min(depth, k0 + kCount + depthBlock),
                                            ofPanel: last ? nil : columnPanels.lowerBound, in: b, tiles: block.count)
                    for (index, panel) in block.enumerated() {
                        let row = panel * microTileRows
                        microTile(
                            depth: kCount, a: scratch + index * panelFloats + k0 * microTileRows, b: bSlice,
                            panelWidth: width, c: output + row * ldo + column * microTileColumns, ldc: ldo,
                            rows: min(microTileRows, g.outputPixels - row), columns: columnWidth, accumulate: k0 > 0,
                            bias: last ? bias.map { $0 + column * microTileColumns } : nil,
                            activation: last ? activation : .identity, prefetch: prefetch.share(ofTile: index))
                    }
                }
            }
        }
    }
}

/// Writes one panel of the im2col matrix in the micro-kernel's layout: for output pixels
/// `firstRow ..< firstRow + 12`, value `p` of pixel `r`'s `KH x KW x C/groups` patch goes to
/// `panel[p · 12 + r]`. Padding and pixels past the end read from `zeros`.
/// - Complexity: O(12 · patchSize).
func packPatches(
    _ panel: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, zeros: UnsafePointer<Float>,
    geometry g: ConvGeometry, group: Int, firstRow: Int
) {
    let channels = g.inputChannels / g.groups
    let pixelsPerImage = g.outputHeight * g.outputWidth
    if packInteriorPatches(panel, input: input, geometry: g, group: group, firstRow: firstRow) { return }
    // Each pixel's window: where its top-left tap lies in the input (an offset that may point
    // outside it, never dereferenced then) and which of its taps lie inside the image. Worked out
    // once per panel, so that each tap's twelve pointers cost an add, not a chain of multiplies
    // (small_cnn's stem packs one panel in 12 and spent 16 % of its time here).
    let rowStride = g.inputWidth * g.inputChannels
    withUnsafeTemporaryAllocation(of: (offset: Int, rows: Range<Int>, columns: Range<Int>).self, capacity: microTileRows) { origins in
        for r in 0..<microTileRows {
            let row = firstRow + r
            guard row < g.outputPixels else {
                origins[r] = (0, 0..<0, 0..<0)
                continue
            }
            let pixel = row % pixelsPerImage
            let top = (pixel / g.outputWidth) * g.strideHeight - g.padding.top
            let left = (pixel % g.outputWidth) * g.strideWidth - g.padding.left
            let rows = max(0, -top)..<max(max(0, -top), min(g.kernelHeight, g.inputHeight - top))
            let columns = max(0, -left)..<max(max(0, -left), min(g.kernelWidth, g.inputWidth - left))
            origins[r] = ((((row / pixelsPerImage) * g.inputHeight + top) * g.inputWidth + left) * g.inputChannels
                          + group * channels, rows, columns)
        }
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: microTileRows) { sources in
            var destination = panel
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let tap = kh * rowStride + kw * g.inputChannels
                    for r in 0..<microTileRows {
                        let origin = origins[r]
                        sources[r] = origin.rows.contains(kh) && origin.columns.contains(kw) ? input + (origin.offset + tap) : zeros
                    }
                    activeTiles.pack(sources.baseAddress, Int64(channels), destination)
                    destination += channels * microTileRows
                }
            }
        }
    }
}

/// The common cases of `packPatches`, without per-value bounds checks: a pointwise convolution,
/// or 12 pixels in one output row whose windows are all horizontally inside the image, so that
/// pixel `r`'s patch starts `r · strideWidth · C` values after pixel 0's. Rows of a window in
/// the vertical padding are zeros.
/// - Returns: false, having written nothing, when the panel is neither.
private func packInteriorPatches(
    _ panel: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: ConvGeometry,
    group: Int, firstRow: Int
) -> Bool {
    if g.isPointwise && firstRow + microTileRows <= g.outputPixels {
        // A 1x1 convolution's patches are the input's pixels, consecutive whatever row they sit in.
        packRows(panel, first: input + firstRow * g.inputChannels, stride: g.inputChannels, count: g.inputChannels)
        return true
    }
    let pixelsPerImage = g.outputHeight * g.outputWidth
    let pixel = firstRow % pixelsPerImage
    let (oh, ow) = (pixel / g.outputWidth, pixel % g.outputWidth)
    let left = ow * g.strideWidth - g.padding.left
    let right = (ow + microTileRows - 1) * g.strideWidth - g.padding.left + g.kernelWidth
    guard firstRow + microTileRows <= g.outputPixels, ow + microTileRows <= g.outputWidth,
          left >= 0, right <= g.inputWidth else { return false }
    let channels = g.inputChannels / g.groups
    let pixelStride = g.strideWidth * g.inputChannels
    let image = firstRow / pixelsPerImage
    // With one group, a window row's taps are consecutive pixels: one run of kernelWidth · C values.
    let (runs, count) = g.groups == 1 ? (1, g.kernelWidth * channels) : (g.kernelWidth, channels)
    var destination = panel
    for kh in 0..<g.kernelHeight {
        let ih = oh * g.strideHeight - g.padding.top + kh
        guard ih >= 0 && ih < g.inputHeight else {
            destination.update(repeating: 0, count: g.kernelWidth * channels * microTileRows)
            destination += g.kernelWidth * channels * microTileRows
            continue
        }
        var source = input + ((image * g.inputHeight + ih) * g.inputWidth + left) * g.inputChannels + group * channels
        for _ in 0..<runs {
            packRows(destination, first: source, stride: pixelStride, count: count)
            destination += count * microTileRows
            source += g.inputChannels
        }
    }
    return true
}

/// Packs `count` values of twelve rows, `stride` values apart from `first`, into `panel`
/// (`panel[c · 12 + r] = first[r · stride + c]`) with the active set's pack (`Tiles.pack`).
@inline(__always)
private func packRows(_ panel: UnsafeMutablePointer<Float>, first: UnsafePointer<Float>, stride: Int, count: Int) {
    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: microTileRows) { rows in
        for r in 0..<microTileRows { rows[r] = first + r * stride }
        activeTiles.pack(rows.baseAddress, Int64(count), panel)
    }
}
