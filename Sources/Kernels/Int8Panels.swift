import CKernels

/// A `PackedMatrix`'s panels quantized for the int8 tiles (`ecg_quantize_s8`): each column `j` as
/// signed bytes `round(w / scale_j)`, `scale_j = max|w_j| / 127`, in quads of rows; with each
/// column's scale and the sum of its bytes (the tiles subtract `128 · sum` for A's zero point).
final class Int8Panels: @unchecked Sendable {
    /// Quads of rows: a quarter of the depth, rounded up (the last quad ends in zero rows).
    let quads: Int
    private let values: UnsafeMutablePointer<Int8>
    private let scales: UnsafeMutablePointer<Float>
    private let sums: UnsafeMutablePointer<Int32>

    /// Quantizes `panels` fp32 panels of `rows` rows, panel `i` being `width(i)` wide and
    /// `rows · microTileColumns` floats after the previous one.
    init(of storage: UnsafePointer<Float>, rows: Int, panels: Int, width: (Int) -> Int) {
        quads = (rows + 3) / 4
        let count = max(1, panels * quads * 4 * microTileColumns), columns = max(1, panels * microTileColumns)
        values = .allocate(capacity: count)
        values.update(repeating: 0, count: count)
        (scales, sums) = (.allocate(capacity: columns), .allocate(capacity: columns))
        scales.update(repeating: 0, count: columns)
        sums.update(repeating: 0, count: columns)
        for panel in 0..<panels {
            ecg_quantize_s8(Int64(rows), Int64(width(panel)), storage + panel * rows * microTileColumns,
                            values + panel * quads * 4 * microTileColumns, scales + panel * microTileColumns,
                            sums + panel * microTileColumns)
        }
    }

    deinit {
        values.deallocate()
        scales.deallocate()
        sums.deallocate()
    }

    /// Panel `index`: its bytes, and its columns' scales and sums.
    @inline(__always) func panel(_ index: Int) -> (values: UnsafePointer<Int8>, scales: UnsafePointer<Float>, sums: UnsafePointer<Int32>) {
        (UnsafePointer(values + index * quads * 4 * microTileColumns), UnsafePointer(scales + index * microTileColumns),
         UnsafePointer(sums + index * microTileColumns))
    }
}
