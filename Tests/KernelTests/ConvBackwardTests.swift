@testable import Kernels
import Testing

/// `conv2dBackward` against the gradients written from their definitions, in Double: the input
/// gradient by convolution at stride 1 (`addInputGradientByConvolution`, Winograd where the shape
/// allows), by product and col2im otherwise; the weight gradient by Winograd F(2x2, 3x3)
/// (`addWeightGradientWinograd`) or im2col and a product; the bias gradient; all three added
/// into what the buffers held. Serialized, since the Winograd threshold depends on the thread count.
@Suite("Convolution backward: input, weight and bias gradients against the definitions", .serialized)
struct ConvBackwardTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var batch = 1, height: Int, width: Int, channels: Int, outputChannels: Int
        var kernel: (Int, Int), stride = (1, 1), padding: Padding
        /// Whether the input gradient's convolution runs by Winograd, and whether the weight
        /// gradient does (both checked, so that the case tests those paths).
        var winograd = false, winogradWeight = false

        var geometry: ConvGeometry {
            ConvGeometry(batch: batch, inputHeight: height, inputWidth: width, inputChannels: channels,
                         outputChannels: outputChannels, kernelHeight: kernel.0, kernelWidth: kernel.1,
                         strideHeight: stride.0, strideWidth: stride.1, padding: padding)!
        }

        var testDescription: String {
            "\(batch)x\(height)x\(width)x\(channels) → \(outputChannels), \(kernel.0)x\(kernel.1)/\(stride.0), "
                + "padding \(padding.top) \(padding.bottom) \(padding.left) \(padding.right)"
        }
    }

    static let cases: [Case] = [
        // VGG16's layers: 3x3, padding 1; enough pixels for Winograd on any thread count up to 8.
        Case(batch: 2, height: 40, width: 38, channels: 32, outputChannels: 64, kernel: (3, 3), padding: .symmetric(1),
             winograd: true, winogradWeight: true),
        // InceptionV3's 7x1 with padding 3, and an unpadded 3x3 (the transposed one padded by 2).
        Case(batch: 2, height: 24, width: 17, channels: 32, outputChannels: 32, kernel: (7, 1),
             padding: .symmetric(height: 3, width: 0), winograd: true),
        Case(batch: 3, height: 30, width: 31, channels: 32, outputChannels: 64, kernel: (3, 3), padding: .none,
             winograd: true, winogradWeight: true),
        // The weight gradient by Winograd, the input gradient not (32 output channels, 48 input
        // ones: the transposed layer has 32 input channels for 48 output ones); odd output sizes,
        // so the last tiles are partly outside.
        Case(batch: 3, height: 27, width: 25, channels: 48, outputChannels: 32, kernel: (3, 3), padding: .symmetric(1),
             winogradWeight: true),
        // No Winograd shape: 5x5 padding 2, uneven padding, a few channels.
        Case(height: 11, width: 9, channels: 6, outputChannels: 10, kernel: (5, 5), padding: .symmetric(2)),
        Case(batch: 2, height: 7, width: 6, channels: 3, outputChannels: 5, kernel: (3, 3),
             padding: Padding(top: 2, bottom: 0, left: 1, right: 0)),
        // The product-and-col2im path: stride 2, and a padding wider than the kernel reaches.
        Case(batch: 2, height: 9, width: 8, channels: 4, outputChannels: 6, kernel: (3, 3), stride: (2, 2), padding: .symmetric(1)),
        Case(height: 5, width: 5, channels: 3, outputChannels: 4, kernel: (3, 3), padding: .symmetric(3)),
    ]

    @Test("The transposed geometry: stride 1 only, padding kernel − 1 − padding, the input's size out")
    func transposedGeometry() {
        let same = Self.cases[0].geometry.inputGradientGeometry
        #expect(same?.padding == .symmetric(1))
        #expect(same.map { ($0.inputHeight, $0.inputWidth, $0.inputChannels, $0.outputChannels) } ?? (0, 0, 0, 0) == (40, 38, 64, 32))
        #expect(Self.cases[2].geometry.inputGradientGeometry?.padding == .symmetric(2))
        #expect(Self.cases[5].geometry.inputGradientGeometry?.padding == Padding(top: 0, bottom: 2, left: 1, right: 2))
        #expect(Self.cases[6].geometry.inputGradientGeometry == nil)
        #expect(Self.cases[7].geometry.inputGradientGeometry == nil)
    }

    @Test("Input, weight and bias gradients match the definitions, added into the buffers", arguments: cases)
    func matchesDefinitions(_ c: Case) {
        let g = c.geometry
        let (kh, kw, ci, co) = (g.kernelHeight, g.kernelWidth, g.inputChannels, g.outputChannels)
        let input = randomValues(g.batch * g.inputHeight * g.inputWidth * ci, seed: 1)
        let weight = randomValues(kh * kw * ci * co, seed: 2)
        let dy = randomValues(g.outputPixels * co, seed: 3)
        let before = (dx: randomValues(input.count, seed: 4), dw: randomValues(weight.count, seed: 5), db: randomValues(co, seed: 6))
        let turned = PackedConvWeight(hwio: weight, patchSize: kh * kw * co, outputChannels: ci, groups: 1, winograd: (kh, kw))
        // Winograd convolutions run on the direct tiles, which a kernel set may lack (`ECG_KERNELS`).
        #expect((g.inputGradientGeometry.map(turned.runsWinograd) ?? false) == (c.winograd && activeTiles.direct != nil),
                "input gradient by Winograd")
        #expect(g.prefersWinogradWeightGradient == c.winogradWeight, "weight gradient by Winograd")
        var (dx, dw, db) = before
        dx.withUnsafeMutableBufferPointer { dx in
            dw.withUnsafeMutableBufferPointer { dw in
                db.withUnsafeMutableBufferPointer { db in
                    conv2dBackward(inputGradient: dx.baseAddress, weightGradient: dw.baseAddress, biasGradient: db.baseAddress,
                                   outputGradient: dy, input: input, weight: weight, geometry: g)
                }
            }
        }
        // The definitions: output pixel (oy, ox) reads input (oy·s − top + i, ox·s − left + j) by tap (i, j).
        var wantDX = before.dx.map(Double.init), wantDW = before.dw.map(Double.init), wantDB = before.db.map(Double.init)
        for n in 0..<g.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    let out = ((n * g.outputHeight + oy) * g.outputWidth + ox) * co
                    for o in 0..<co { wantDB[o] += Double(dy[out + o]) }
                    for i in 0..<kh {
                        let y = oy * g.strideHeight - g.padding.top + i
                        guard y >= 0, y < g.inputHeight else { continue }
                        for j in 0..<kw {
                            let x = ox * g.strideWidth - g.padding.left + j
                            guard x >= 0, x < g.inputWidth else { continue }
                            let pixel = ((n * g.inputHeight + y) * g.inputWidth + x) * ci
                            for k in 0..<ci {
                                let w = ((i * kw + j) * ci + k) * co
                                for o in 0..<co {
                                    wantDX[pixel + k] += Double(dy[out + o]) * Double(weight[w + o])
                                    wantDW[w + o] += Double(input[pixel + k]) * Double(dy[out + o])
                                }
                            }
                        }
                    }
                }
            }
        }
        // Sums of up to KH·KW·OC (input) or N·OH·OW (weight) products of values in -1...1; Winograd
        // F(4x4, 3x3) rounds at 0.5-2e-5 of the largest output.
        checkClose(dx, wantDX.map(Float.init), atol: 1e-4 * Float(kh * kw * co).squareRoot(), rtol: 1e-4, "input gradient")
        checkClose(dw, wantDW.map(Float.init), atol: 1e-5 * Float(g.outputPixels).squareRoot(), rtol: 1e-4, "weight gradient")
        checkClose(db, wantDB.map(Float.init), atol: 1e-4, rtol: 1e-5, "bias gradient")
    }
}
