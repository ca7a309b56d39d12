@testable import Kernels
import Testing

/// The short tiles (`Tiles.short`: the first 4 or 8 rows of the AVX-512 tile, 6 of the AVX2 one),
/// which compute a panel's last rows, against the 12-row tile of their set: the same bits in the
/// rows they compute, nothing written outside them.
@Suite("Short tiles: a panel's last rows give the 12-row tile's floats and touch nothing else", .serialized)
struct ShortTileTests {
    @Test("Each runnable set's short tiles equal the first rows of its 12-row tile, both widths, every epilogue")
    func shortTilesEqualTheWholeTile() {
        let depth = 37
        for set in KernelSet.supported {
            let tiles = Tiles(set)
            #expect(tiles.short.isEmpty == (set == .portable), "\(set) has short tiles: \(tiles.short.map(\.rows))")
            for short in tiles.short {
                for width in [32, 16] {
                    let ldc = width + 5
                    let a = randomValues(depth * microTileRows, seed: 11), b = randomValues(depth * width, seed: 12)
                    let start = randomValues(microTileRows * ldc, seed: 13), bias = randomValues(width, seed: 14)
                    for activation in [Activation.identity, .relu, .relu6] {
                        for accumulate in [false, true] {
                            var whole = start, part = start
                            bias.withUnsafeBufferPointer { bias in
                                (width == 32 ? tiles.wide : tiles.narrow)(
                                    Int64(depth), a, b, &whole, Int64(ldc), accumulate ? 1 : 0, bias.baseAddress, activation.tileCode)
                                (width == 32 ? short.wide : short.narrow)(
                                    Int64(depth), a, b, &part, Int64(ldc), accumulate ? 1 : 0, bias.baseAddress, activation.tileCode)
                            }
                            let expected = start.indices.map { i in
                                i / ldc < short.rows && i % ldc < width ? whole[i] : start[i]
                            }
                            let mismatches = part.indices.filter { part[$0].bitPattern != expected[$0].bitPattern }
                            #expect(mismatches.isEmpty,
                                    "\(set) \(short.rows)x\(width) \(activation)\(accumulate ? " accumulating" : ""): \(mismatches.count) values differ, first at \(mismatches.first ?? -1)")
                        }
                    }
                }
            }
        }
    }

    @Test("microTile with 1 to 11 real rows and a partial panel writes the 12-row tile's values there and nothing else, on every set")
    func partialPanelsPickAShortTile() {
        let depth = 29, ldc = 40
        for set in KernelSet.supported {
            KernelSet.with(set) {
                for (width, columns) in [(32, 32), (32, 27), (16, 16), (16, 9)] {
                    let a = randomValues(depth * microTileRows, seed: 21), b = randomValues(depth * width, seed: 22)
                    let start = randomValues(microTileRows * ldc, seed: 23), bias = randomValues(columns, seed: 24)
                    var whole = start
                    bias.withUnsafeBufferPointer { bias in
                        microTile(depth: depth, a: a, b: b, panelWidth: width, c: &whole, ldc: ldc, rows: microTileRows,
                                  columns: columns, accumulate: true, bias: bias.baseAddress, activation: .relu6)
                    }
                    for rows in 1..<microTileRows {
                        var part = start
                        bias.withUnsafeBufferPointer { bias in
                            microTile(depth: depth, a: a, b: b, panelWidth: width, c: &part, ldc: ldc, rows: rows,
                                      columns: columns, accumulate: true, bias: bias.baseAddress, activation: .relu6)
                        }
                        let expected = start.indices.map { i in i / ldc < rows && i % ldc < columns ? whole[i] : start[i] }
                        let mismatches = part.indices.filter { part[$0].bitPattern != expected[$0].bitPattern }
                        #expect(mismatches.isEmpty, "\(set) \(rows) rows x \(columns) of \(width): \(mismatches.count) values differ")
                    }
                }
            }
        }
    }
}
