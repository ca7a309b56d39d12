import CKernels

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
    /// The same panels rounded to bfloat16 pairs of rows (`ecg_pack_bf16`), each `pairs x 32 x 2`
    /// values (`pairs x 16 x 2` for a 16-wide last panel); nil unless packed for bf16 on a CPU with it.
    private let bf16Storage: UnsafeMutablePointer<UInt16>?

    /// Packs `rows x columns` values of `source`, whose rows are `sourceRowStride` apart, and for
    /// `precision` bf16 or int8 (where the CPU has it) also their panels in that format.
    /// - Complexity: O(rows · columns).
    public init(rows: Int, columns: Int, source: UnsafePointer<Float>, sourceRowStride: Int, precision: Precision = .fp32) {
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
            let stride = Self.panelWidth(panel, panels: panels, columns: columns)
            let destination = storage + panel * rows * microTileColumns
            for row in 0..<rows {
                (destination + row * stride).update(from: source + row * sourceRowStride + first, count: width)
            }
        }
        let panelCount = panels
        bf16Storage = precision.available == .bf16
            ? Self.bf16Panels(of: storage, rows: rows, panels: panelCount) { Self.panelWidth($0, panels: panelCount, columns: columns) }
            : nil
        int8 = precision.available == .int8
            ? Int8Panels(of: storage, rows: rows, panels: panelCount) { Self.panelWidth($0, panels: panelCount, columns: columns) }
            : nil
    }

    /// The same panels quantized to signed bytes per column (`ecg_quantize_s8`); nil unless packed
    /// for int8 on a CPU with it.
    let int8: Int8Panels?

    /// Rows of a bf16 panel's pairs: half the depth, rounded up (an odd depth ends in a zero row).
    var pairs: Int { (rows + 1) / 2 }

    /// The low-precision panels packed besides the fp32 ones: bf16, int8, or none (fp32).
    public var precision: Precision { bf16Storage != nil ? .bf16 : int8 != nil ? .int8 : .fp32 }

    /// Bfloat16 panel `index`: `pairs x panelWidth(index) x 2` values, or nil without bf16 panels.
    @inline(__always) func bf16Panel(_ index: Int) -> UnsafePointer<UInt16>? {
        bf16Storage.map { UnsafePointer($0 + index * pairs * microTileColumns * 2) }
    }

    /// Rounds the packed fp32 panels to bfloat16 pairs.
    private static func bf16Panels(
        of storage: UnsafeMutablePointer<Float>, rows: Int, panels: Int, width: (Int) -> Int
    ) -> UnsafeMutablePointer<UInt16> {
        let pairs = (rows + 1) / 2
        let count = max(1, panels * pairs * microTileColumns * 2)
        let values = UnsafeMutableRawPointer.allocate(byteCount: count * 2, alignment: 64).bindMemory(to: UInt16.self, capacity: count)
        values.update(repeating: 0, count: count)
        for panel in 0..<panels {
            ecg_pack_bf16(Int64(rows), Int64(width(panel)), storage + panel * rows * microTileColumns,
                          values + panel * pairs * microTileColumns * 2)
        }
        return values
    }

    /// The row stride of panel `index`: 32, or 16 for a last panel with at most 16 columns.
    @inline(__always) func panelWidth(_ index: Int) -> Int { Self.panelWidth(index, panels: panels, columns: columns) }

    @inline(__always) static func panelWidth(_ index: Int, panels: Int, columns: Int) -> Int {
        index == panels - 1 && columns - index * microTileColumns <= 16 ? 16 : microTileColumns
    }

    deinit {
        UnsafeMutableRawPointer(storage).deallocate()
        bf16Storage.map { UnsafeMutableRawPointer($0).deallocate() }
    }

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
    /// The weight kept for Winograd convolution (`conv2dWinograd`), transformed at first use, or nil.
    public let winograd: WinogradTransforms?

    /// Packs an HWIO weight `KH x KW x (C/groups) x OC`, also in bf16 or int8 for those precisions.
    /// - Parameter winograd: also keep it for `conv2dWinograd` (`WinogradTransforms`, nil where
    ///   no algorithm would take this weight), given its kernel's height and width.
    public init(hwio weight: UnsafePointer<Float>, patchSize: Int, outputChannels: Int, groups: Int, precision: Precision = .fp32,
                winograd kernel: (height: Int, width: Int)? = nil) {
        let columns = outputChannels / groups
        self.groups = (0..<groups).map { group in
            PackedMatrix(rows: patchSize, columns: columns, source: weight + group * columns, sourceRowStride: outputChannels,
                         precision: precision)
        }
        let panels = self.groups[0]
        winograd = kernel.flatMap { kernel in
            precondition(patchSize % (kernel.height * kernel.width) == 0, "a Winograd weight is whole filters of its kernel")
            return WinogradTransforms(panels: panels, kernel: kernel, inputChannels: patchSize / (kernel.height * kernel.width),
                                      groups: groups)
        }
    }

    /// The Winograd algorithm `conv2dForward` runs a layer of geometry `g` by with this weight,
    /// or nil: the weight was kept for it, and the layer and kernel set allow it.
    public func winogradAlgorithm(_ g: ConvGeometry) -> WinogradAlgorithm? { winograd?.plan(g)?.algorithm }

    /// Whether `conv2dForward` runs a layer of geometry `g` by Winograd with this weight.
    public func runsWinograd(_ g: ConvGeometry) -> Bool { winogradAlgorithm(g) != nil }
}
