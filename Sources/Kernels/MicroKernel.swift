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
/// `rows x columns` values of C are real. A full tile goes straight to C; a partial one is
/// computed in a scratch tile and only its real part is read from and written to C.
@inline(__always)
func microTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panelWidth: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, accumulate: Bool
) {
    withTileOutput(c: c, ldc: ldc, panelWidth: panelWidth, rows: rows, columns: columns, accumulate: accumulate) { c, ldc in
        let tiles = activeTiles
        let function = panelWidth == microTileColumns ? tiles.wide : tiles.narrow
        function(Int64(depth), a, b, c, Int64(ldc), accumulate ? 1 : 0)
    }
}

/// Runs `kernel`, which writes a whole `12 x panelWidth` tile to `(c, ldc)`, for a tile of which
/// only `rows x columns` values are real: straight into C when the tile is whole, else into a
/// scratch tile (holding C's real part first when accumulating) whose real part is copied back.
@inline(__always)
func withTileOutput(
    c: UnsafeMutablePointer<Float>, ldc: Int, panelWidth: Int, rows: Int, columns: Int, accumulate: Bool,
    _ kernel: (UnsafeMutablePointer<Float>, Int) -> Void
) {
    if rows == microTileRows && columns == panelWidth {
        kernel(c, ldc)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: microTileRows * panelWidth) { tile in
        let t = tile.baseAddress!
        if accumulate {
            for r in 0..<rows { (t + r * panelWidth).update(from: c + r * ldc, count: columns) }
        }
        kernel(t, panelWidth)
        for r in 0..<rows { (c + r * ldc).update(from: t + r * panelWidth, count: columns) }
    }
}
