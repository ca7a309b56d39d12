/// The register-blocked inner loop of the convolution GEMM: a `12 x 32` (or `12 x 16`) block of C
/// from a packed `12 x k` slice of A and a packed `k x 32` (`k x 16`) panel of B.
///
/// The tile functions themselves are C, one set per instruction-set level (Sources/CKernels,
/// chosen at run time by `KernelSet`), because Swift cannot compile one function for AVX-512 and
/// another for AVX2 in the same module.
/// See: Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (2008), and
/// BLIS's micro-kernel design.

/// Rows of C per micro-tile; A is packed in panels of this many interleaved rows.
public let microTileRows = 12
/// Columns of C per micro-tile; B is packed in panels of this many columns.
public let microTileColumns = 32

/// One micro-tile against a B panel `panelWidth` (32 or 16) columns wide, of which only
/// `rows x columns` values of C are real, ending in the epilogue: `bias` (the tile's `columns`
/// values, or nil) and `activation`. A full tile goes straight to C; a partial one is computed in a
/// scratch tile and only its real part is read from and written to C (`withTileOutput`). A panel's
/// last `rows` go to the set's smallest short tile that holds them (`Tiles.short`), which computes
/// only its own rows: a 7 x 7 image's 49 pixels are four whole tiles and a 4-row tile, not a fifth
/// 12-row tile for one pixel. A GEMM summed in depth slices passes nil and `.identity` on all but
/// its last slice. `prefetch` is this tile's share of the next panel's weights (`NextPanelPrefetch`).
@inline(__always)
func microTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panelWidth: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, accumulate: Bool,
    bias: UnsafePointer<Float>?, activation: Activation, prefetch: (next: UnsafePointer<Float>?, lines: Int64) = (nil, 0)
) {
    let tiles = activeTiles
    var (tileRows, wide, narrow) = (microTileRows, tiles.wide, tiles.narrow)
    if let short = tiles.shortTile(for: rows) {
        (tileRows, wide, narrow) = (short.rows, short.wide, short.narrow)
    }
    withTileOutput(c: c, ldc: ldc, panelWidth: panelWidth, tileRows: tileRows, rows: rows, columns: columns,
                   accumulate: accumulate, bias: bias) { c, ldc, bias in
        let function = panelWidth == microTileColumns ? wide : narrow
        function(Int64(depth), a, b, c, Int64(ldc), accumulate ? 1 : 0, bias, activation.tileCode, prefetch.next, prefetch.lines)
    }
}

/// The next weight panel (or depth slice of one), prefetched into L2 by the tiles that read the
/// current one, each a share in turn, spread over its depth loop (the tiles' `next`, `nextLines`:
/// CKernels.h). A layer with few pixels reads each panel for only a few tiles: InceptionV3's 8 x 8
/// layers read up to 6 MB of weights for 6 tiles a panel, and the first tile of each panel waited
/// on memory. In a C loop over such layers (64 pixels, 1280-4032 deep, 384 wide) on the 2-core
/// AVX-512 VM, cold weights took 1.15-1.31x the time of weights in cache, and 0.93-1.10x with this
/// prefetch (docs/performance.md).
struct NextPanelPrefetch {
    /// The next panel's first float, or nil for none.
    let next: UnsafePointer<Float>?
    /// Its 64-byte lines, and each tile's share of them.
    let lines: Int, linesPerTile: Int

    /// For `tiles` tiles that read one panel, prefetching `floats` floats at `next`.
    init(next: UnsafePointer<Float>?, floats: Int, tiles: Int) {
        self.next = next
        lines = next == nil ? 0 : (floats + 15) / 16
        linesPerTile = (lines + max(1, tiles) - 1) / max(1, tiles)
    }

    /// For `tiles` tiles that read one panel, prefetching rows `rows` of panel `column` of `b`
    /// (none when `column` is nil).
    init(rows: Range<Int>, ofPanel column: Int?, in b: PackedMatrix, tiles: Int) {
        guard let column else {
            self.init(next: nil, floats: 0, tiles: tiles)
            return
        }
        let width = b.panelWidth(column)
        self.init(next: b.panel(column) + rows.lowerBound * width, floats: rows.count * width, tiles: tiles)
    }

    /// Tile `index`'s share: the `next` and `nextLines` arguments of its tile function.
    func share(ofTile index: Int) -> (next: UnsafePointer<Float>?, lines: Int64) {
        let first = index * linesPerTile
        guard let next, first < lines else { return (nil, 0) }
        return (next + first * 16, Int64(min(linesPerTile, lines - first)))
    }
}

/// Runs `kernel`, which writes a whole `tileRows x panelWidth` tile (12 rows, or a short tile's)
/// to `(c, ldc)` with the `panelWidth` bias values it is given in its epilogue, for a tile of which
/// only `rows x columns` values are real: straight into C when the tile is whole, else into a
/// scratch tile (holding C's real part first when accumulating) whose real part is copied back.
/// - Parameter bias: the tile's `columns` bias values, or nil. A partial tile's kernel gets them
///   padded with zeros to `panelWidth` values, so that it never reads past the end of the bias.
@inline(__always)
func withTileOutput(
    c: UnsafeMutablePointer<Float>, ldc: Int, panelWidth: Int, tileRows: Int = microTileRows, rows: Int, columns: Int,
    accumulate: Bool, bias: UnsafePointer<Float>? = nil,
    _ kernel: (UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>?) -> Void
) {
    if rows == tileRows && columns == panelWidth {
        kernel(c, ldc, bias)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: (tileRows + 1) * panelWidth) { tile in
        let t = tile.baseAddress!
        let paddedBias = bias.map { bias in
            let padded = t + tileRows * panelWidth
            padded.update(from: bias, count: columns)
            (padded + columns).update(repeating: 0, count: panelWidth - columns)
            return UnsafePointer(padded)
        }
        if accumulate {
            for r in 0..<rows { (t + r * panelWidth).update(from: c + r * ldc, count: columns) }
        }
        kernel(t, panelWidth, paddedBias)
        for r in 0..<rows { (c + r * ldc).update(from: t + r * panelWidth, count: columns) }
    }
}
