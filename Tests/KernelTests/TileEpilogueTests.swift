import Foundation
@testable import Kernels
import Testing

/// Integers in -4...4 (some of them -0): the tiles' sums are exact, and many sums plus bias are
/// exactly 0 or 6, where relu and relu6 must decide as `biasActivationForward` does.
private func integerValues(_ count: Int, seed: UInt64) -> [Float] {
    randomValues(count, seed: seed, in: -4.4...4.4).map { $0.rounded() }
}

/// Values the epilogue must pass through as Swift does: NaN, infinities, both zeros, 6 and its
/// neighbours, a denormal.
private let specialValues: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, 6, Float(6).nextUp, Float(6).nextDown, -6,
                                      1e30, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]

/// `count` bias values: integers with the special values mixed in.
private func biasValues(_ count: Int, seed: UInt64) -> [Float] {
    var values = integerValues(count, seed: seed)
    for (i, special) in specialValues.enumerated() where i * 3 < count { values[i * 3] = special }
    return values
}

/// Runs `tile` on a copy of `c` twice: with its epilogue (given the bias and `activation.tileCode`),
/// and without (nil, identity) followed by `biasActivationForward` on the real `rows x columns`
/// part; expects the same bits everywhere in `c`, NaN included.
private func expectSameFloats(
    c: [Float], ldc: Int, rows: Int = microTileRows, columns: Int, bias: [Float]?, activation: Activation, _ what: String,
    tile: (UnsafeMutablePointer<Float>, UnsafePointer<Float>?, Activation) -> Void
) {
    var fused = c, separate = c
    withBias(bias) { bias in
        fused.withUnsafeMutableBufferPointer { tile($0.baseAddress!, bias, activation) }
        separate.withUnsafeMutableBufferPointer { s in
            tile(s.baseAddress!, nil, .identity)
            biasActivationForward(values: s.baseAddress!, rows: rows, columns: columns, rowStride: ldc, bias: bias,
                                  activation: activation)
        }
    }
    let mismatches = c.indices.filter { fused[$0].bitPattern != separate[$0].bitPattern }
    #expect(mismatches.isEmpty, "\(what) \(activation)\(bias == nil ? "" : " with bias"): \(mismatches.count) values differ, first at \(mismatches.first ?? -1)")
}

/// `body` with a pointer to `bias`'s values, or nil.
private func withBias(_ bias: [Float]?, _ body: (UnsafePointer<Float>?) -> Void) {
    guard let bias else { return body(nil) }
    bias.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// The epilogue the fp32 tiles apply as they store (Sources/CKernels/epilogue.h) against the one
/// Swift pass it replaces (`biasActivationForward`): the same bits, for every kernel set this CPU
/// can run. Serialized, since the partial-tile checks change the process-wide kernel set.
@Suite("Tile epilogue: bias and activation applied in the C tiles give exactly biasActivationForward's floats", .serialized)
struct TileEpilogueTests {
    static let activations: [Activation] = [.identity, .relu, .relu6]

    @Test("Each runnable set's packed 12x32 and 12x16 tiles, overwriting and accumulating onto special values")
    func packedTiles() {
        for set in KernelSet.supported {
            let tiles = Tiles(set)
            for width in [32, 16] {
                let depth = 5, ldc = width + 3  // C rows wider than the tile: only the tile may change
                let a = integerValues(depth * 12, seed: 1), b = integerValues(depth * width, seed: 2)
                var c = integerValues(12 * ldc, seed: 3)
                for (i, special) in specialValues.enumerated() { c[i * 7] = special }
                for activation in Self.activations {
                    for bias in [nil, biasValues(width, seed: 4)] {
                        for accumulate in [false, true] {
                            expectSameFloats(c: c, ldc: ldc, columns: width, bias: bias, activation: activation,
                                             "\(set) 12x\(width)\(accumulate ? " accumulating" : "")") { c, bias, activation in
                                (width == 32 ? tiles.wide : tiles.narrow)(
                                    Int64(depth), a, b, c, Int64(ldc), accumulate ? 1 : 0, bias, activation.tileCode, nil, 0)
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("Each runnable set's direct 12x32 and 12x16 tiles")
    func directTiles() {
        for set in KernelSet.supported {
            guard let direct = Tiles(set).direct else { continue }
            for width in [32, 16] {
                let (taps, span, pixelStride) = (2, 9, 3)
                let rowStride = 12 * pixelStride + span
                let ldc = width + 3
                let a = integerValues(taps * rowStride, seed: 5), b = integerValues(taps * span * width, seed: 6)
                let c = integerValues(12 * ldc, seed: 7)
                for activation in Self.activations {
                    for bias in [nil, biasValues(width, seed: 8)] {
                        expectSameFloats(c: c, ldc: ldc, columns: width, bias: bias, activation: activation,
                                         "\(set) direct 12x\(width)") { c, bias, activation in
                            (width == 32 ? direct.wide : direct.narrow)(
                                Int64(taps), Int64(span), a, Int64(rowStride), Int64(pixelStride), b, c, Int64(ldc), bias,
                                activation.tileCode, nil, 0)
                        }
                    }
                }
            }
        }
    }

    @Test("Partial tiles (fewer rows or columns, through a scratch tile) take a bias array of just their real columns")
    func partialTiles() {
        for set in KernelSet.supported {
            KernelSet.with(set) {
                for (rows, columns, width) in [(7, 24, 32), (12, 5, 16), (3, 32, 32), (12, 17, 32)] {
                    let depth = 4, ldc = width + 3
                    let a = integerValues(depth * 12, seed: 9), b = integerValues(depth * width, seed: 10)
                    let c = integerValues(12 * ldc, seed: 11)
                    for activation in Self.activations {
                        // Exactly `columns` values: the tile must not read past them.
                        for bias in [nil, biasValues(columns, seed: 12)] {
                            for accumulate in [false, true] {
                                expectSameFloats(c: c, ldc: ldc, rows: rows, columns: columns, bias: bias, activation: activation,
                                                 "\(set) \(rows)x\(columns) of 12x\(width)\(accumulate ? " accumulating" : "")") { c, bias, activation in
                                    microTile(depth: depth, a: a, b: b, panelWidth: width, c: c, ldc: ldc, rows: rows,
                                              columns: columns, accumulate: accumulate, bias: bias, activation: activation)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
