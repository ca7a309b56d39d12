@testable import Kernels
import Testing

/// The A-panel pack (`Tiles.pack`, `ecg_pack12_*`) that im2col writes every convolution's patches
/// with: twelve rows side by side, the same floats in every set, nothing written past the panel.
@Suite("Packing twelve rows into an A panel")
struct PackTests {
    @Test("Every runnable set writes panel[c · 12 + r] = row r's value c, for counts around the 8-value blocks")
    func packTransposesTwelveRows() {
        let stride = 45
        let values = randomValues(microTileRows * stride, seed: 21)
        for set in KernelSet.supported {
            let pack = Tiles(set).pack
            for count in [0, 1, 7, 8, 9, 16, 23, 24, 40, 45] {
                var panel = [Float](repeating: -7, count: (count + 1) * microTileRows)
                values.withUnsafeBufferPointer { values in
                    let rows = (0..<microTileRows).map { Optional(values.baseAddress! + $0 * stride) }
                    rows.withUnsafeBufferPointer { pack($0.baseAddress, Int64(count), &panel) }
                }
                let expected = (0..<(count + 1) * microTileRows).map { i in
                    i < count * microTileRows ? values[i % microTileRows * stride + i / microTileRows] : -7
                }
                #expect(panel == expected, "\(set), \(count) values")
            }
        }
    }
}
