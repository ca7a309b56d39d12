@testable import Kernels
import Testing

/// The short tiles (`Tiles.short`: the first 4 or 8 rows of the AVX-512 tile, 2 or 6 of the AVX2 one),
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
                                    Int64(depth), a, b, &whole, Int64(ldc), accumulate ? 1 : 0, bias.baseAddress, activation.tileCode, nil, 0)
                                (width == 32 ? short.wide : short.narrow)(
                                    Int64(depth), a, b, &part, Int64(ldc), accumulate ? 1 : 0, bias.baseAddress, activation.tileCode, nil, 0)
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

    @Test("Each runnable set's short direct tiles equal the first rows of its 12-row direct tile, for every compiled pixel stride")
    func shortDirectTilesEqualTheWholeTile() {
        for set in KernelSet.supported {
            let tiles = Tiles(set)
            guard let direct = tiles.direct else { continue }
            for short in tiles.short {
                // 3, 6 and 16 run with the stride as a constant, 20 with it in a register.
                for (pixelStride, span) in [(3, 9), (6, 9), (16, 48), (20, 60)] {
                    let taps = 3, rowStride = 14 * pixelStride + span
                    let a = randomValues(taps * rowStride, seed: 41), bias = randomValues(32, seed: 42)
                    for width in [32, 16] {
                        let b = randomValues(taps * span * width, seed: 43), ldc = width + 3
                        let start = randomValues(microTileRows * ldc, seed: 44)
                        var whole = start, part = start
                        bias.withUnsafeBufferPointer { bias in
                            (width == 32 ? direct.wide : direct.narrow)(
                                Int64(taps), Int64(span), a, Int64(rowStride), Int64(pixelStride), b, &whole, Int64(ldc),
                                bias.baseAddress, Activation.relu6.tileCode, nil, 0)
                            (width == 32 ? short.direct.wide : short.direct.narrow)(
                                Int64(taps), Int64(span), a, Int64(rowStride), Int64(pixelStride), b, &part, Int64(ldc),
                                bias.baseAddress, Activation.relu6.tileCode, nil, 0)
                        }
                        let expected = start.indices.map { i in i / ldc < short.rows && i % ldc < width ? whole[i] : start[i] }
                        let mismatches = part.indices.filter { part[$0].bitPattern != expected[$0].bitPattern }
                        #expect(mismatches.isEmpty,
                                "\(set) direct \(short.rows)x\(width), pixel stride \(pixelStride): \(mismatches.count) values differ")
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

/// The tiles' prefetch of the next panel (`next`, `nextLines`; `NextPanelPrefetch`): it changes no
/// value, and the tiles that share a panel prefetch every line of the next one exactly once.
@Suite("Next-panel prefetch: the same floats, every line once")
struct NextPanelPrefetchTests {
    @Test("Every runnable set's packed, short and direct tiles give the same bits with and without a prefetch")
    func prefetchChangesNothing() {
        let depth = 23, ldc = 32
        let a = randomValues(depth * microTileRows, seed: 31), b = randomValues(depth * 32, seed: 32)
        let next = randomValues(4096, seed: 33), bias = randomValues(32, seed: 34)
        for set in KernelSet.supported {
            let tiles = Tiles(set)
            var functions = [(name: "12 rows", function: tiles.wide)] + tiles.short.map { ("\($0.rows) rows", $0.wide) }
            functions += [("12 rows, 16 wide", tiles.narrow)]
            for (name, function) in functions {
                // No prefetch; fewer lines than depth steps; more lines than steps (capped at one a step).
                let results = [(nil, 0), (next, 5), (next, 200)].map { (next: [Float]?, lines: Int64) in
                    var c = [Float](repeating: 0.5, count: microTileRows * ldc)
                    bias.withUnsafeBufferPointer { bias in
                        function(Int64(depth), a, b, &c, Int64(ldc), 1, bias.baseAddress, Activation.relu.tileCode, next, lines)
                    }
                    return c.map(\.bitPattern)
                }
                #expect(results[1] == results[0] && results[2] == results[0], "\(set) \(name)")
            }
            if let direct = tiles.direct {
                let results = [(nil, 0), (next, 9)].map { (next: [Float]?, lines: Int64) in
                    var c = [Float](repeating: 0, count: microTileRows * ldc)
                    direct.wide(1, Int64(depth), a, 0, Int64(depth), b, &c, Int64(ldc), nil, Activation.identity.tileCode, next, lines)
                    return c.map(\.bitPattern)
                }
                #expect(results[1] == results[0], "\(set) direct")
            }
        }
    }

    @Test("The tiles' shares cover the next panel's lines in order, each once, for any tile count")
    func sharesCoverThePanel() {
        let panel = [Float](repeating: 0, count: 1000)
        panel.withUnsafeBufferPointer { buffer in
            let start = buffer.baseAddress!
            for tiles in [1, 2, 5, 6, 7, 63, 64, 100] {
                let prefetch = NextPanelPrefetch(next: start, floats: 1000, tiles: tiles)
                var covered: [Int] = []
                for index in 0..<tiles {
                    let share = prefetch.share(ofTile: index)
                    if let next = share.next { covered += (0..<Int(share.lines)).map { (next - start) / 16 + $0 } }
                    else { #expect(share.lines == 0) }
                }
                #expect(covered == Array(0..<63), "\(tiles) tiles: lines \(covered.count) of 63")
            }
            let none = NextPanelPrefetch(next: nil, floats: 1000, tiles: 4)
            #expect((0..<4).allSatisfy { none.share(ofTile: $0).next == nil && none.share(ofTile: $0).lines == 0 })
        }
    }
}
