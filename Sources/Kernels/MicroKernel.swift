/// The register-blocked inner loop of the convolution GEMM: a `12 x 32` block of C from a
/// packed `12 x k` slice of A and a packed `k x 32` panel of B, held in 24 SIMD16 registers.
///
/// Written with `SIMD16<Float>` so that one source serves every CPU: compiled for AVX-512 each
/// vector is one zmm register; for AVX2 or NEON the compiler splits it.
/// See: Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (2008), and
/// BLIS's micro-kernel design.

/// Rows of C per micro-tile; A is packed in panels of this many interleaved rows.
public let microTileRows = 12
/// Columns of C per micro-tile; B is packed in panels of this many columns.
public let microTileColumns = 32

typealias Vector16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vector16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vector16.self)
}

@inline(__always) func store16(_ p: UnsafeMutablePointer<Float>, _ v: Vector16) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector16.self)
}

/// `C[12 x 32] (+)= A · B` for one micro-tile.
/// - Parameters:
///   - depth: k, the shared dimension.
///   - a: packed A, `a[p · 12 + r]` is row r, column p.
///   - b: packed B, `b[p · 32 + j]` is row p, column j.
///   - c: the tile's first value; rows are `ldc` apart. All 12 x 32 values are read/written.
///   - accumulate: add to C rather than overwrite it.
/// - Complexity: 768·k floating-point operations.
@inline(never)
func microKernel12x32(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
    var c00 = Vector16(), c01 = Vector16(), c10 = Vector16(), c11 = Vector16()
    var c20 = Vector16(), c21 = Vector16(), c30 = Vector16(), c31 = Vector16()
    var c40 = Vector16(), c41 = Vector16(), c50 = Vector16(), c51 = Vector16()
    var c60 = Vector16(), c61 = Vector16(), c70 = Vector16(), c71 = Vector16()
    var c80 = Vector16(), c81 = Vector16(), c90 = Vector16(), c91 = Vector16()
    var cA0 = Vector16(), cA1 = Vector16(), cB0 = Vector16(), cB1 = Vector16()
    var a = a, b = b
    for _ in 0..<depth {
        let b0 = load16(b), b1 = load16(b + 16)
        var s = Vector16(repeating: a[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
        s = Vector16(repeating: a[1]); c10.addProduct(s, b0); c11.addProduct(s, b1)
        s = Vector16(repeating: a[2]); c20.addProduct(s, b0); c21.addProduct(s, b1)
        s = Vector16(repeating: a[3]); c30.addProduct(s, b0); c31.addProduct(s, b1)
        s = Vector16(repeating: a[4]); c40.addProduct(s, b0); c41.addProduct(s, b1)
        s = Vector16(repeating: a[5]); c50.addProduct(s, b0); c51.addProduct(s, b1)
        s = Vector16(repeating: a[6]); c60.addProduct(s, b0); c61.addProduct(s, b1)
        s = Vector16(repeating: a[7]); c70.addProduct(s, b0); c71.addProduct(s, b1)
        s = Vector16(repeating: a[8]); c80.addProduct(s, b0); c81.addProduct(s, b1)
        s = Vector16(repeating: a[9]); c90.addProduct(s, b0); c91.addProduct(s, b1)
        s = Vector16(repeating: a[10]); cA0.addProduct(s, b0); cA1.addProduct(s, b1)
        s = Vector16(repeating: a[11]); cB0.addProduct(s, b0); cB1.addProduct(s, b1)
        a += 12
        b += 32
    }
    @inline(__always) func write(_ row: Int, _ v0: Vector16, _ v1: Vector16) {
        let p = c + row * ldc
        if accumulate {
            store16(p, load16(p) + v0)
            store16(p + 16, load16(p + 16) + v1)
        } else {
            store16(p, v0)
            store16(p + 16, v1)
        }
    }
    write(0, c00, c01); write(1, c10, c11); write(2, c20, c21); write(3, c30, c31)
    write(4, c40, c41); write(5, c50, c51); write(6, c60, c61); write(7, c70, c71)
    write(8, c80, c81); write(9, c90, c91); write(10, cA0, cA1); write(11, cB0, cB1)
}

/// `C[12 x 16] (+)= A · B` for a panel of B only 16 columns wide (the last panel of a matrix
/// with 16 or fewer columns left over, such as a 16-channel convolution).
/// - Parameters: as `microKernel12x32`, with `b[p · 16 + j]`.
/// - Complexity: 384·k floating-point operations.
@inline(never)
func microKernel12x16(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
    var c0 = Vector16(), c1 = Vector16(), c2 = Vector16(), c3 = Vector16(), c4 = Vector16(), c5 = Vector16()
    var c6 = Vector16(), c7 = Vector16(), c8 = Vector16(), c9 = Vector16(), cA = Vector16(), cB = Vector16()
    var a = a, b = b
    for _ in 0..<depth {
        let b0 = load16(b)
        c0.addProduct(Vector16(repeating: a[0]), b0); c1.addProduct(Vector16(repeating: a[1]), b0)
        c2.addProduct(Vector16(repeating: a[2]), b0); c3.addProduct(Vector16(repeating: a[3]), b0)
        c4.addProduct(Vector16(repeating: a[4]), b0); c5.addProduct(Vector16(repeating: a[5]), b0)
        c6.addProduct(Vector16(repeating: a[6]), b0); c7.addProduct(Vector16(repeating: a[7]), b0)
        c8.addProduct(Vector16(repeating: a[8]), b0); c9.addProduct(Vector16(repeating: a[9]), b0)
        cA.addProduct(Vector16(repeating: a[10]), b0); cB.addProduct(Vector16(repeating: a[11]), b0)
        a += 12
        b += 16
    }
    @inline(__always) func write(_ row: Int, _ v: Vector16) {
        let p = c + row * ldc
        store16(p, accumulate ? load16(p) + v : v)
    }
    write(0, c0); write(1, c1); write(2, c2); write(3, c3); write(4, c4); write(5, c5)
    write(6, c6); write(7, c7); write(8, c8); write(9, c9); write(10, cA); write(11, cB)
}

/// One micro-tile against a B panel `panelWidth` (32 or 16) columns wide, of which only
/// `rows x columns` values of C are real. A full tile goes straight to C; a partial one is
/// computed in a scratch tile and only its real part is read from and written to C.
@inline(__always)
func microTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panelWidth: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, accumulate: Bool
) {
    @inline(__always) func kernel(_ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if panelWidth == microTileColumns {
            microKernel12x32(depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            microKernel12x16(depth: depth, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        }
    }
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
