import CKernels

/// The bfloat16 tile functions (CKernels.h, tile_bf16.c): `(pairs, a, b, c, ldc, accumulate)`.
struct BF16Tiles: Sendable {
    typealias Function = @convention(c) (Int64, UnsafePointer<UInt16>?, UnsafePointer<UInt16>?,
                                         UnsafeMutablePointer<Float>?, Int64, Int32) -> Void
    let wide: Function = ecg_tile12x32_bf16
    let narrow: Function = ecg_tile12x16_bf16
}

/// The int8 tile functions (CKernels.h, tile_int8.c):
/// `(quads, a, b, c, ldc, rowScales, columnScales, columnSums)`, and the A panel quantizer
/// `(depth, panel, out, rowScales)`. Two sets with the same bytes and floats: AVX-512 VNNI, and
/// plain C (`portable`), which runs anywhere, slowly, so that int8's accuracy can be measured on
/// any CPU.
struct Int8Tiles: Sendable {
    typealias Function = @convention(c) (Int64, UnsafePointer<UInt8>?, UnsafePointer<Int8>?, UnsafeMutablePointer<Float>?,
                                         Int64, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Int32>?) -> Void
    typealias QuantizeFunction = @convention(c) (Int64, UnsafePointer<Float>?, UnsafeMutablePointer<UInt8>?,
                                                 UnsafeMutablePointer<Float>?) -> Void
    let wide: Function
    let narrow: Function
    let quantize: QuantizeFunction

    /// The plain C tiles.
    static let portable = Int8Tiles(wide: ecg_tile12x32_int8_portable, narrow: ecg_tile12x16_int8_portable,
                                    quantize: ecg_quantize_u8_portable)
    #if arch(x86_64)
    /// The AVX-512 VNNI tiles; only for a CPU with ECG_CPU_AVX512_VNNI.
    static let vnni = Int8Tiles(wide: ecg_tile12x32_int8, narrow: ecg_tile12x16_int8, quantize: ecg_quantize_u8)
    #endif
}

extension ConvGeometry {
    /// Whether a layer whose weight has bf16 or int8 panels runs on those tiles: every layer but
    /// the thin ones (fewer than 32 input channels, not pointwise), which keep their fp32 direct
    /// tiles: a 3-channel stem's 27-deep patches would spend more on rounding than the tiles save.
    var prefersLowPrecision: Bool { isPointwise || !prefersDirectTiles }
}

/// The low-precision tiles a weight runs on, with what they need of it.
enum LowPrecisionTiles {
    case bf16(BF16Tiles)
    case int8(Int8Tiles, Int8Panels)

    /// The tiles for weight `b` under the kernel set in use, or nil when it runs in fp32.
    init?(_ b: PackedMatrix) {
        let tiles = activeTiles
        if let bf16 = tiles.bf16, b.precision == .bf16 {
            self = .bf16(bf16)
        } else if let int8 = tiles.int8, let panels = b.int8 {
            self = .int8(int8, panels)
        } else {
            return nil
        }
    }

    /// Bytes of one packed A panel of `depth` values per row.
    func panelBytes(depth: Int) -> Int {
        switch self {
        case .bf16: microTileRows * ((depth + 1) / 2) * 4
        case .int8: microTileRows * ((depth + 3) / 4) * 4
        }
    }
}

/// `convolveBlock` in bf16 or int8 (`Precision`): the same blocks of row panels, each im2col panel
/// packed in fp32 and then rounded to bfloat16 pairs (`ecg_pack_bf16`) or quantized per row to bytes
/// (`Int8Tiles.quantize`) into the block, then multiplied by the weight's low-precision panels. bf16
/// goes one depth slice at a time, summing in fp32; int8 takes the whole depth in one pass (its
/// int32 sums are scaled only at the end).
/// - Complexity: 2·pixels·patchSize·columns operations, plus O(pixels · patchSize) rounding.
func convolveBlockLowPrecision(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight b: PackedMatrix, bias: UnsafePointer<Float>?, geometry g: ConvGeometry, group: Int,
    rowPanels: Range<Int>, columnPanels: Range<Int>, activation: Activation, tiles: LowPrecisionTiles
) {
    let depth = g.patchSize
    let panelFloats = microTileRows * depth
    let panelBytes = tiles.panelBytes(depth: depth)
    // As many panels as fit `packedBlockFloats` floats' bytes.
    let blockPanels = max(1, min(rowPanels.count, 4 * packedBlockFloats / max(1, panelBytes)))
    let blockFloats = (blockPanels * panelBytes + 63) / 64 * 16  // the packed block, 64-byte aligned
    let scaleFloats = blockPanels * microTileRows  // int8: each row's scale
    let sliceDepth: Int
    if case .int8 = tiles { sliceDepth = depth } else { sliceDepth = depthBlock }
    let firstColumn = columnPanels.lowerBound * microTileColumns
    let columnCount = min(b.columns, columnPanels.upperBound * microTileColumns) - firstColumn
    withScratch(count: blockFloats + scaleFloats + panelFloats + g.inputChannels) { scratch in
        let rowScales = scratch + blockFloats
        let panel = rowScales + scaleFloats
        let zeros = panel + panelFloats
        zeros.update(repeating: 0, count: g.inputChannels)
        let packed = UnsafeMutableRawPointer(scratch)
        for blockStart in stride(from: rowPanels.lowerBound, to: rowPanels.upperBound, by: blockPanels) {
            let block = blockStart..<min(blockStart + blockPanels, rowPanels.upperBound)
            for (index, rowPanel) in block.enumerated() {
                packPatches(panel, input: input, zeros: zeros, geometry: g, group: group, firstRow: rowPanel * microTileRows)
                let destination = packed + index * panelBytes
                switch tiles {
                case .bf16:
                    ecg_pack_bf16(Int64(depth), Int64(microTileRows), panel, destination.assumingMemoryBound(to: UInt16.self))
                case .int8(let t, _):
                    t.quantize(Int64(depth), panel, destination.assumingMemoryBound(to: UInt8.self), rowScales + index * microTileRows)
                }
            }
            let firstRow = block.lowerBound * microTileRows
            let rowCount = min(g.outputPixels, block.upperBound * microTileRows) - firstRow
            for k0 in stride(from: 0, to: depth, by: sliceDepth) {
                let kCount = min(sliceDepth, depth - k0)
                for column in columnPanels {
                    let width = b.panelWidth(column)
                    let columnWidth = min(microTileColumns, b.columns - column * microTileColumns)
                    for (index, rowPanel) in block.enumerated() {
                        let row = rowPanel * microTileRows
                        let a = packed + index * panelBytes
                        withTileOutput(
                            c: output + row * ldo + column * microTileColumns, ldc: ldo, panelWidth: width,
                            rows: min(microTileRows, g.outputPixels - row), columns: columnWidth, accumulate: k0 > 0
                        ) { c, ldc, _ in
                            switch tiles {
                            case .bf16(let t):
                                // depthBlock is even, so a slice starts on a pair; the last may end in the zero row.
                                let p0 = k0 / 2
                                (width == microTileColumns ? t.wide : t.narrow)(
                                    Int64((kCount + 1) / 2), a.assumingMemoryBound(to: UInt16.self) + p0 * microTileRows * 2,
                                    b.bf16Panel(column)! + p0 * width * 2, c, Int64(ldc), k0 > 0 ? 1 : 0)
                            case .int8(let t, let panels):
                                let weight = panels.panel(column)
                                (width == microTileColumns ? t.wide : t.narrow)(
                                    Int64(panels.quads), a.assumingMemoryBound(to: UInt8.self), weight.values, c, Int64(ldc),
                                    rowScales + index * microTileRows, weight.scales, weight.sums)
                            }
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
