import Foundation
@testable import Kernels
import NN
import Testing
import Tensors

/// A direct tile from its definition (CKernels.h), in Double: `C[r][j] = Σ_t Σ_q
/// a[t · rowStride + r · pixelStride + q] · b[(t · span + q) · width + j]`, C rows `ldc` apart.
private func referenceDirectTile(
    taps: Int, span: Int, a: [Float], rowStride: Int, pixelStride: Int, b: [Float], width: Int, c: [Float], ldc: Int
) -> [Float] {
    var result = c
    for r in 0..<12 {
        for j in 0..<width {
            var sum = 0.0
            for t in 0..<taps {
                for q in 0..<span {
                    sum += Double(a[t * rowStride + r * pixelStride + q]) * Double(b[(t * span + q) * width + j])
                }
            }
            result[r * ldc + j] = Float(sum)
        }
    }
    return result
}

/// The direct convolution tiles (`ecg_direct12x32_*`), which read A in place from the input, and
/// the convolutions that use them, on every kernel set this CPU can run. Serialized, since the set
/// in use is process-wide.
@Suite("Direct convolution tiles: against the naive reference, and the same floats as packing", .serialized)
struct DirectConvTests {
    /// The sets with direct tiles that this CPU can run.
    static var directSets: [KernelSet] { KernelSet.supported.filter { Tiles($0).direct != nil } }

    @Test("Each runnable set's direct 12x32, 12x16 (and AVX2's 12x24) tiles match the naive sum, for pixel strides 3, 6, 16 and 5 and 0 to 3 window rows")
    func tilesMatchReference() {
        if Self.directSets.isEmpty { print("DirectConvTests: no kernel set with direct tiles runs on this CPU") }
        for set in Self.directSets {
            let direct = Tiles(set).direct!
            for width in [32, 16] {
                for (pixelStride, span) in [(3, 9), (6, 9), (16, 16), (5, 15)] {
                    for taps in 0...3 {
                        let rowStride = 12 * pixelStride + span + 3  // rows of the input further apart than a window
                        let ldc = width + 3
                        let a = randomValues(max(1, taps) * rowStride, seed: UInt64(pixelStride * 10 + taps))
                        let b = randomValues(max(1, taps * span) * width, seed: UInt64(span + 100 * taps))
                        var c = randomValues(12 * ldc, seed: 5)
                        let expected = referenceDirectTile(taps: taps, span: span, a: a, rowStride: rowStride,
                                                           pixelStride: pixelStride, b: b, width: width, c: c, ldc: ldc)
                        a.withUnsafeBufferPointer { a in
                            b.withUnsafeBufferPointer { b in
                                c.withUnsafeMutableBufferPointer { c in
                                    (width == 32 ? direct.wide : direct.narrow)(
                                        Int64(taps), Int64(span), a.baseAddress, Int64(rowStride), Int64(pixelStride),
                                        b.baseAddress, c.baseAddress, Int64(ldc), nil, Activation.identity.tileCode, nil, 0)
                                }
                            }
                        }
                        checkClose(c, expected, atol: 1e-5 * Float(max(1, taps * span)).squareRoot(), rtol: 1e-5,
                                   "\(set) direct 12x\(width) pixel stride \(pixelStride) span \(span) taps \(taps)")
                        // The 24-column tile: the wide tile's first 24 columns, the same floats, and
                        // nothing written past them.
                        if width == 32, let first24 = direct.first24 {
                            let ldc24 = 24 + 3
                            var c24 = randomValues(12 * ldc24, seed: 6)
                            let before = c24
                            a.withUnsafeBufferPointer { a in
                                b.withUnsafeBufferPointer { b in
                                    c24.withUnsafeMutableBufferPointer { c24 in
                                        first24(Int64(taps), Int64(span), a.baseAddress, Int64(rowStride), Int64(pixelStride),
                                                b.baseAddress, c24.baseAddress, Int64(ldc24), nil, Activation.identity.tileCode, nil, 0)
                                    }
                                }
                            }
                            for r in 0..<12 {
                                #expect(Array(c24[(r * ldc24)..<(r * ldc24 + 24)]) == Array(c[(r * ldc)..<(r * ldc + 24)]),
                                        "\(set) direct 12x24 row \(r) pixel stride \(pixelStride) taps \(taps)")
                                #expect(Array(c24[(r * ldc24 + 24)..<(r * ldc24 + ldc24)]) == Array(before[(r * ldc24 + 24)..<(r * ldc24 + ldc24)]),
                                        "\(set) direct 12x24 wrote past column 24 in row \(r)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Layers that take the direct path: the two stems (3→16 at stride 1, narrower than layers on
    /// padded bands, and MobileNetV2's 3→32 at stride 2 with Keras's bottom/right padding), a 16-channel 3x3 layer, pointwise layers
    /// whose 12-pixel panels cross output rows and images, partial column panels (24 and 40
    /// channels), a valid-padded layer whose windows never meet the border, and wide pointwise
    /// layers: MobileNetV2-like projections (144→24, 96→24 and 32→20 on AVX2's 12x24 tile, 960→160:
    /// deeper than one depth slice) and an
    /// expansion with many column panels and row panels in more than one block.
    static let cases: [ConvCase] = [
        ConvCase(height: 30, width: 27, channels: 3, outputChannels: 16, kernel: (3, 3), padding: .same, activation: .relu),
        ConvCase(batch: 2, height: 32, width: 32, channels: 3, outputChannels: 32, kernel: (3, 3), stride: (2, 2),
                 padding: .same, activation: .relu6),
        ConvCase(height: 17, width: 26, channels: 16, outputChannels: 32, kernel: (3, 3), padding: .same, activation: .relu),
        ConvCase(batch: 2, height: 5, width: 7, channels: 16, outputChannels: 96, kernel: (1, 1), activation: .relu6),
        ConvCase(batch: 3, height: 4, width: 9, channels: 24, outputChannels: 40, kernel: (1, 1)),
        ConvCase(height: 15, width: 30, channels: 5, outputChannels: 24, kernel: (3, 5), stride: (1, 2), bias: false),
        ConvCase(height: 14, width: 20, channels: 2, outputChannels: 8, kernel: (7, 7), padding: .same),
        ConvCase(height: 9, width: 10, channels: 144, outputChannels: 24, kernel: (1, 1), padding: .same),
        ConvCase(batch: 2, height: 6, width: 8, channels: 96, outputChannels: 24, kernel: (1, 1), activation: .relu6),
        ConvCase(height: 5, width: 12, channels: 32, outputChannels: 20, kernel: (1, 1), activation: .relu),
        ConvCase(height: 7, width: 7, channels: 960, outputChannels: 160, kernel: (1, 1), padding: .same),
        ConvCase(batch: 2, height: 13, width: 14, channels: 64, outputChannels: 200, kernel: (1, 1), activation: .relu6),
    ]

    @Test("Every runnable set gives reference convolutions for the layers that go direct", arguments: cases)
    func convolutionsMatchReference(_ c: ConvCase) throws {
        for set in KernelSet.supported {
            try KernelSet.with(set) { try checkConvolution(c) }
        }
    }

    @Test("A direct tile gives the same floats as packing the panel (im2col) and running the packed tile of the same set",
          arguments: cases)
    func sameFloatsAsPacking(_ c: ConvCase) throws {
        let (input, weight, _) = c.makeInputs()
        let padding = padding_reference(c.padding, h: c.height, w: c.width, kh: c.kernel.0, kw: c.kernel.1,
                                         sh: c.stride.0, sw: c.stride.1)
        let g = try #require(ConvGeometry(
            batch: c.batch, inputHeight: c.height, inputWidth: c.width, inputChannels: c.channels,
            outputChannels: c.outputChannels, kernelHeight: c.kernel.0, kernelWidth: c.kernel.1,
            strideHeight: c.stride.0, strideWidth: c.stride.1, padding: padding))
        #expect(g.prefersDirectTiles)
        let packed = weight.withPointer { PackedConvWeight(hwio: $0, patchSize: g.patchSize, outputChannels: c.outputChannels, groups: 1) }
        let b = packed.groups[0]
        let panels = (0..<(g.outputPixels / microTileRows)).filter { g.directOrigin(firstRow: $0 * microTileRows) != nil }
        #expect(!panels.isEmpty, "no panel of \(c.testDescription) takes the direct path")
        for set in Self.directSets {
            let tiles = Tiles(set)
            for panel in panels {
                let origin = g.directOrigin(firstRow: panel * microTileRows)!
                for column in 0..<b.panels {
                    let width = b.panelWidth(column)
                    var direct = [Float](repeating: 0, count: microTileRows * width)
                    var viaPacking = [Float](repeating: 1, count: microTileRows * width)
                    var patches = [Float](repeating: 0, count: microTileRows * g.patchSize)
                    let zeros = [Float](repeating: 0, count: g.inputChannels)
                    input.withPointer { x in
                        direct.withUnsafeMutableBufferPointer { d in
                            (width == 32 ? tiles.direct!.wide : tiles.direct!.narrow)(
                                Int64(origin.taps.count), Int64(g.kernelWidth * g.inputChannels), x + origin.offset,
                                Int64(g.inputWidth * g.inputChannels), Int64(origin.pixelStride),
                                b.panel(column) + origin.taps.lowerBound * g.kernelWidth * g.inputChannels * width,
                                d.baseAddress, Int64(width), nil, Activation.identity.tileCode, nil, 0)
                        }
                        packPatches(&patches, input: x, zeros: zeros, geometry: g, group: 0, firstRow: panel * microTileRows)
                        viaPacking.withUnsafeMutableBufferPointer { v in
                            (width == 32 ? tiles.wide : tiles.narrow)(
                                Int64(g.patchSize), patches, b.panel(column), v.baseAddress, Int64(width), 0, nil,
                                Activation.identity.tileCode, nil, 0)
                        }
                    }
                    #expect(direct == viaPacking, "\(set) \(c.testDescription) panel \(panel) column panel \(column)")
                    let columns = b.columns - column * microTileColumns
                    if width == 32, (17...24).contains(columns), let first24 = tiles.direct!.first24 {
                        var narrow = [Float](repeating: 0, count: microTileRows * 24)
                        input.withPointer { x in
                            narrow.withUnsafeMutableBufferPointer { d in
                                first24(Int64(origin.taps.count), Int64(g.kernelWidth * g.inputChannels), x + origin.offset,
                                        Int64(g.inputWidth * g.inputChannels), Int64(origin.pixelStride),
                                        b.panel(column) + origin.taps.lowerBound * g.kernelWidth * g.inputChannels * width,
                                        d.baseAddress, 24, nil, Activation.identity.tileCode, nil, 0)
                            }
                        }
                        for r in 0..<microTileRows {
                            #expect(Array(narrow[(r * 24)..<(r * 24 + 24)]) == Array(viaPacking[(r * width)..<(r * width + 24)]),
                                    "\(set) 12x24 \(c.testDescription) panel \(panel) row \(r)")
                        }
                    }
                }
            }
        }
    }

    @Test("Pointwise layers, and one-group layers with fewer than 32 input channels and a patch within one depth slice, go direct")
    func choice() throws {
        func geometry(channels: Int, kernel: Int, groups: Int = 1) throws -> ConvGeometry {
            try #require(ConvGeometry(batch: 1, inputHeight: 20, inputWidth: 20, inputChannels: channels, outputChannels: 32,
                                      kernelHeight: kernel, kernelWidth: kernel, groups: groups))
        }
        #expect(try geometry(channels: 3, kernel: 3).prefersDirectTiles)
        #expect(try geometry(channels: 16, kernel: 3).prefersDirectTiles)
        #expect(try geometry(channels: 32, kernel: 1).prefersDirectTiles)
        #expect(try geometry(channels: 960, kernel: 1).prefersDirectTiles)
        #expect(try !geometry(channels: 32, kernel: 3).prefersDirectTiles)
        #expect(try !geometry(channels: 16, kernel: 7).prefersDirectTiles)  // 784 > depthBlock
        #expect(try !geometry(channels: 16, kernel: 3, groups: 2).prefersDirectTiles)
    }
}
