import CKernels

/// The bfloat16 tile functions (CKernels.h, tile_bf16.c): `(pairs, a, b, c, ldc, accumulate)`.
struct BF16Tiles: Sendable {
    typealias Function = @convention(c) (Int64, UnsafePointer<UInt16>?, UnsafePointer<UInt16>?,
                                         UnsafeMutablePointer<Float>?, Int64, Int32) -> Void
    let wide: Function = ecg_tile12x32_bf16
    let narrow: Function = ecg_tile12x16_bf16
}

extension ConvGeometry {
    /// Whether a layer whose weight has bf16 panels runs on the bf16 tiles: every layer but the
    /// thin ones (fewer than 32 input channels, not pointwise), which keep their fp32 direct tiles:
    /// a 3-channel stem's 27-deep patches would spend more on rounding than the tiles save.
    var prefersBF16: Bool { isPointwise || !prefersDirectTiles }
}

/// `convolveBlock` in bfloat16: the same blocks of row panels, each im2col panel packed in fp32 and
/// rounded to bfloat16 pairs (`ecg_pack_bf16`) into the block, then multiplied by the weight's bf16
/// panels one depth slice at a time, summing in fp32. See `Precision` for the error.
/// - Complexity: 2·pixels·patchSize·columns floating-point operations, plus O(pixels · patchSize) rounding.
func convolveBlockBF16(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight b: PackedMatrix, bias: UnsafePointer<Float>?, geometry g: ConvGeometry, group: Int,
    rowPanels: Range<Int>, columnPanels: Range<Int>, activation: Activation, tiles: BF16Tiles
) {
    let depth = g.patchSize
    let pairs = b.pairs
    let panelFloats = microTileRows * depth
    let panelValues = microTileRows * pairs * 2  // bf16 values of one A panel
    // As many panels as fit `packedBlockFloats` floats' bytes, at two bytes a value.
    let blockPanels = max(1, min(rowPanels.count, 2 * packedBlockFloats / (microTileRows * min(depth, depthBlock))))
    let blockFloats = (blockPanels * panelValues + 31) / 32 * 16  // the bf16 block, in floats, 64-byte aligned
    let firstColumn = columnPanels.lowerBound * microTileColumns
    let columnCount = min(b.columns, columnPanels.upperBound * microTileColumns) - firstColumn
    withScratch(count: blockFloats + panelFloats + g.inputChannels) { scratch in
        let panel = scratch + blockFloats
        let zeros = panel + panelFloats
        zeros.update(repeating: 0, count: g.inputChannels)
        scratch.withMemoryRebound(to: UInt16.self, capacity: blockFloats * 2) { packed in
            for blockStart in stride(from: rowPanels.lowerBound, to: rowPanels.upperBound, by: blockPanels) {
                let block = blockStart..<min(blockStart + blockPanels, rowPanels.upperBound)
                for (index, rowPanel) in block.enumerated() {
                    packPatches(panel, input: input, zeros: zeros, geometry: g, group: group, firstRow: rowPanel * microTileRows)
                    ecg_pack_bf16(Int64(depth), Int64(microTileRows), panel, packed + index * panelValues)
                }
                let firstRow = block.lowerBound * microTileRows
                let rowCount = min(g.outputPixels, block.upperBound * microTileRows) - firstRow
                for k0 in stride(from: 0, to: depth, by: depthBlock) {
                    // depthBlock is even, so a slice starts on a pair; the last may end in the zero row.
                    let (p0, kPairs) = (k0 / 2, (min(depthBlock, depth - k0) + 1) / 2)
                    for column in columnPanels {
                        let width = b.panelWidth(column)
                        let bSlice = b.bf16Panel(column)! + p0 * width * 2
                        let function = width == microTileColumns ? tiles.wide : tiles.narrow
                        let columnWidth = min(microTileColumns, b.columns - column * microTileColumns)
                        for (index, rowPanel) in block.enumerated() {
                            let row = rowPanel * microTileRows
                            let a = packed + index * panelValues + p0 * microTileRows * 2
                            withTileOutput(
                                c: output + row * ldo + column * microTileColumns, ldc: ldo, panelWidth: width,
                                rows: min(microTileRows, g.outputPixels - row), columns: columnWidth, accumulate: k0 > 0
                            ) { c, ldc in
                                function(Int64(kPairs), a, bSlice, c, Int64(ldc), k0 > 0 ? 1 : 0)
                            }
                        }
                    }
                }
                biasActivationForward(
                    values: output + firstRow * ldo + firstColumn, rows: rowCount, columns: columnCount, rowStride: ldo,
                    bias: bias.map { $0 + firstColumn }, activation: activation)
            }
        }
    }
}
