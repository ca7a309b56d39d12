/// The B operand of the convolution GEMM (`rows x columns`, e.g. an HWIO weight seen as
/// `(KH·KW·C) x OC`), packed once into panels of `microTileColumns` columns: panel j holds
/// columns `32j ..< 32j+32` as `rows x 32` contiguous values, zero past the last real column.
/// When 16 or fewer columns are left for the last panel it is 16 wide, so that a 16-channel
/// layer wastes no work. The micro-kernel streams a panel front to back.
public final class PackedMatrix: @unchecked Sendable {
    /// Rows of B: the GEMM's shared dimension k.
    public let rows: Int
    /// Real columns of B.
    public let columns: Int
    /// Number of 32-column panels.
    public let panels: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Packs `rows x columns` values of `source`, whose rows are `sourceRowStride` apart.
    /// - Complexity: O(rows · columns).
    public init(rows: Int, columns: Int, source: UnsafePointer<Float>, sourceRowStride: Int) {
        self.rows = rows
        self.columns = columns
        panels = (columns + microTileColumns - 1) / microTileColumns
        let count = max(1, panels * rows * microTileColumns)
        storage = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        storage.update(repeating: 0, count: count)
        for panel in 0..<panels {
            let first = panel * microTileColumns
            let width = min(microTileColumns, columns - first)
            let stride = panelWidth(panel)
            let destination = storage + panel * rows * microTileColumns
            for row in 0..<rows {
                (destination + row * stride).update(from: source + row * sourceRowStride + first, count: width)
            }
        }
    }

    /// The row stride of panel `index`: 32, or 16 for a last panel with at most 16 columns.
    @inline(__always) func panelWidth(_ index: Int) -> Int {
        index == panels - 1 && columns - index * microTileColumns <= 16 ? 16 : microTileColumns
    }

    deinit { UnsafeMutableRawPointer(storage).deallocate() }

    /// Panel `index`: `rows x panelWidth(index)` values, row-major.
    @inline(__always) func panel(_ index: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage + index * rows * microTileColumns)
    }
}

/// A convolution weight packed for `conv2dForward`: one `PackedMatrix` per group, each the
/// group's `(KH·KW·C/groups) x (OC/groups)` slice of the HWIO weight.
public struct PackedConvWeight: Sendable {
    /// One packed matrix per group.
    public let groups: [PackedMatrix]

    /// Packs an HWIO weight `KH x KW x (C/groups) x OC`.
    public init(hwio weight: UnsafePointer<Float>, patchSize: Int, outputChannels: Int, groups: Int) {
        let columns = outputChannels / groups
        self.groups = (0..<groups).map { group in
            PackedMatrix(rows: patchSize, columns: columns, source: weight + group * columns, sourceRowStride: outputChannels)
        }
    }
}
