import Foundation
import Kernels
import Testing
import Tensors

/// One pooling window to run through max and average pooling and `pool2d_reference`.
struct PoolCase: CustomTestStringConvertible, Sendable {
    var batch = 1, height: Int, width: Int, channels = 2
    var kernel: (Int, Int), stride: (Int, Int)
    var padding = PaddingMode.valid
    var ceilMode = false
    /// The output size worked out by hand.
    var expectedOutput: (Int, Int)

    var testDescription: String {
        "N\(batch) \(height)x\(width)x\(channels) k\(kernel.0)x\(kernel.1) s\(stride.0),\(stride.1) \(padding)"
            + (ceilMode ? " ceil" : " floor")
    }
}

/// `height x width` values `10·y + x` (one channel): easy to read in a failure.
func gridTensor(height: Int, width: Int) -> Tensor {
    try! Tensor(shape: [1, height, width, 1], values: (0..<height).flatMap { y in (0..<width).map { Float(10 * y + $0) } })
}

@Suite("Pooling against a naive reference")
struct PoolingTests {
    static let cases: [PoolCase] = [
        PoolCase(batch: 3, height: 6, width: 6, channels: 3, kernel: (2, 2), stride: (2, 2), expectedOutput: (3, 3)),
        PoolCase(height: 7, width: 9, kernel: (3, 3), stride: (2, 2), expectedOutput: (3, 4)),
        PoolCase(height: 7, width: 9, kernel: (3, 3), stride: (2, 2), ceilMode: true, expectedOutput: (3, 4)),
        PoolCase(height: 8, width: 10, kernel: (3, 3), stride: (2, 2), ceilMode: true, expectedOutput: (4, 5)),
        PoolCase(height: 5, width: 5, kernel: (2, 2), stride: (2, 2), expectedOutput: (2, 2)),
        PoolCase(height: 5, width: 5, kernel: (2, 2), stride: (2, 2), ceilMode: true, expectedOutput: (3, 3)),
        // Padding with ceil mode: the last window overhangs the padded input (6x6 → 4x4, floor gives 3x3).
        PoolCase(height: 6, width: 6, kernel: (3, 3), stride: (2, 2), padding: .explicit(.symmetric(1)), ceilMode: true,
                 expectedOutput: (4, 4)),
        PoolCase(height: 6, width: 6, kernel: (3, 3), stride: (2, 2), padding: .explicit(.symmetric(1)), expectedOutput: (3, 3)),
        PoolCase(batch: 3, height: 7, width: 7, channels: 3, kernel: (3, 3), stride: (2, 2), padding: .explicit(.symmetric(1)),
                 expectedOutput: (4, 4)),
        // PyTorch's rule: with ceil mode a window may not start in the bottom/right padding (5x5 → 3x3, not 4x4).
        PoolCase(height: 5, width: 5, kernel: (2, 2), stride: (2, 2), padding: .explicit(.symmetric(1)), ceilMode: true,
                 expectedOutput: (3, 3)),
        PoolCase(height: 5, width: 6, kernel: (1, 1), stride: (3, 3), ceilMode: true, expectedOutput: (2, 2)),
        PoolCase(height: 9, width: 8, kernel: (5, 5), stride: (2, 2), padding: .explicit(.symmetric(2)), ceilMode: true,
                 expectedOutput: (5, 5)),
        PoolCase(height: 7, width: 6, kernel: (2, 3), stride: (1, 2),
                 padding: .explicit(Padding(top: 0, bottom: 1, left: 1, right: 1)), ceilMode: true, expectedOutput: (7, 4)),
        // Keras `same` pooling: the extra pad goes bottom/right.
        PoolCase(height: 8, width: 8, channels: 3, kernel: (3, 3), stride: (2, 2), padding: .same, expectedOutput: (4, 4)),
        PoolCase(height: 7, width: 7, channels: 3, kernel: (3, 3), stride: (2, 2), padding: .same, expectedOutput: (4, 4)),
        PoolCase(height: 7, width: 6, kernel: (2, 2), stride: (2, 2), padding: .same, expectedOutput: (4, 3)),
        PoolCase(height: 6, width: 5, kernel: (2, 2), stride: (1, 1), padding: .same, expectedOutput: (6, 5)),
        // Inception: 3x3 stride 1 with padding 1 (an average-pool branch), and 3x3 stride 2 with ceil mode.
        PoolCase(batch: 3, height: 10, width: 10, channels: 4, kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)),
                 expectedOutput: (10, 10)),
        PoolCase(height: 15, width: 14, kernel: (3, 3), stride: (2, 2), ceilMode: true, expectedOutput: (7, 7)),
        // Channels in multiples of 16 (max pooling's vector path): small_cnn's 4x4 stride 4, and padding.
        PoolCase(batch: 2, height: 19, width: 18, channels: 16, kernel: (4, 4), stride: (4, 4), expectedOutput: (4, 4)),
        PoolCase(height: 9, width: 8, channels: 32, kernel: (3, 3), stride: (2, 2), padding: .explicit(.symmetric(1)),
                 ceilMode: true, expectedOutput: (5, 5)),
        // Average pooling sums 64 channels at a time in registers, then the other 19 one at a time.
        PoolCase(batch: 2, height: 7, width: 6, channels: 83, kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)),
                 expectedOutput: (7, 6)),
    ]

    @Test("Max pooling matches the reference (padding, ceil mode, same)", arguments: cases)
    func maxPool(_ c: PoolCase) throws {
        let input = randomTensor([c.batch, c.height, c.width, c.channels], seed: 21, in: -5 ... -1)
        let got = try input.maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceilMode)
        let want = pool2dNHWC_reference(input, kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceilMode, max: true)
        #expect(Array(want.shape[1...2]) == [c.expectedOutput.0, c.expectedOutput.1], "reference output size")
        checkClose(got, shape: want.shape, want.values, atol: 0, rtol: 0, c.testDescription)
        // Padding never wins, even over all-negative inputs.
        #expect(got.scalars.allSatisfy { $0 < 0 })
    }

    @Test("Average pooling matches the reference with count_include_pad true and false", arguments: cases)
    func avgPool(_ c: PoolCase) throws {
        let input = randomTensor([c.batch, c.height, c.width, c.channels], seed: 22)
        for include in [true, false] {
            let got = try input.avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceilMode,
                                          countIncludePad: include)
            let want = pool2dNHWC_reference(input, kernel: c.kernel, stride: c.stride, padding: c.padding,
                                            ceilMode: c.ceilMode, max: false, countIncludePad: include)
            #expect(Array(want.shape[1...2]) == [c.expectedOutput.0, c.expectedOutput.1], "reference output size")
            checkClose(got, shape: want.shape, want.values, atol: 1e-5, rtol: 1e-5, "\(c.testDescription) include pad \(include)")
        }
    }

    @Test("5x5 input, kernel 2, stride 2: floor mode gives 2x2, ceil mode 3x3 with the edge windows")
    func handFiveByFive() throws {
        let input = try Tensor(shape: [1, 5, 5, 1], values: (1...25).map(Float.init))
        checkClose(try input.maxPool2d(kernel: (2, 2), stride: (2, 2)), shape: [1, 2, 2, 1], [7, 9, 17, 19])
        checkClose(try input.maxPool2d(kernel: (2, 2), stride: (2, 2), ceilMode: true), shape: [1, 3, 3, 1],
                   [7, 9, 10, 17, 19, 20, 22, 24, 25])
        // With no padding the edge windows divide by the pixels they cover, whatever count_include_pad says.
        let averages: [Float] = [4, 6, 7.5, 14, 16, 17.5, 21.5, 23.5, 25]
        for include in [true, false] {
            checkClose(try input.avgPool2d(kernel: (2, 2), stride: (2, 2), ceilMode: true, countIncludePad: include),
                       shape: [1, 3, 3, 1], averages)
        }
        // Padding 1 with ceil mode: 3x3 (a fourth window would start in the right padding); windows
        // cover rows {0}, {1, 2}, {3, 4}.
        checkClose(try input.maxPool2d(kernel: (2, 2), stride: (2, 2), padding: .explicit(.symmetric(1)), ceilMode: true),
                   shape: [1, 3, 3, 1], [1, 3, 5, 11, 13, 15, 21, 23, 25])
    }

    @Test("3x3 average pooling with padding 1 over ones: count_include_pad divides by 9 at the border, or not")
    func handCountIncludePad() throws {
        let ones = Tensor(shape: [1, 3, 3, 1], repeating: 1)
        let included: [Float] = [4, 6, 4, 6, 9, 6, 4, 6, 4].map { $0 / 9 }
        checkClose(try ones.avgPool2d(kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1))),
                   shape: [1, 3, 3, 1], included, atol: 1e-6)
        checkClose(try ones.avgPool2d(kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)), countIncludePad: false),
                   shape: [1, 3, 3, 1], [Float](repeating: 1, count: 9), atol: 1e-6)
        // 6x6 ones, kernel 3, stride 2, padding 1, ceil mode → 4x4. Per axis the windows cover
        // (real, padded-input) pixels (2, 3), (3, 3), (3, 3), (1, 2): the last one overhangs the
        // padded input, which PyTorch's divisor leaves out.
        let axis: [(Float, Float)] = [(2, 3), (3, 3), (3, 3), (1, 2)]
        let expected = axis.flatMap { y in axis.map { x in (y.0 * x.0) / (y.1 * x.1) } }
        checkClose(try Tensor(shape: [1, 6, 6, 1], repeating: 1).avgPool2d(
            kernel: (3, 3), stride: (2, 2), padding: .explicit(.symmetric(1)), ceilMode: true), shape: [1, 4, 4, 1], expected, atol: 1e-6)
    }

    @Test("PyTorch documentation examples: MaxPool2d(3, stride=2) and MaxPool2d((3, 2), stride=(2, 1)) on 50x32")
    func pytorchDocShapes() throws {
        let input = randomTensor([1, 50, 32, 1], seed: 3)
        #expect(try input.maxPool2d(kernel: (3, 3), stride: (2, 2)).shape == [1, 24, 15, 1])
        #expect(try input.maxPool2d(kernel: (3, 2), stride: (2, 1)).shape == [1, 24, 31, 1])
        #expect(try input.avgPool2d(kernel: (3, 3), stride: (2, 2)).shape == [1, 24, 15, 1])
        #expect(try input.maxPool2d(kernel: (3, 3), stride: (2, 2), ceilMode: true).shape == [1, 25, 16, 1])
    }

    @Test("Pooling errors: a window larger than the input, too much padding, a non-4-D input throw TensorError")
    func errors() throws {
        let x = randomTensor([1, 3, 3, 2], seed: 1)
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: (4, 4), stride: (1, 1)) }
        #expect(throws: TensorError.self) { try x.avgPool2d(kernel: (2, 4), stride: (1, 1)) }
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: (2, 2), stride: (1, 1), padding: .explicit(.symmetric(2))) }
        #expect(throws: TensorError.self) {
            try x.avgPool2d(kernel: (3, 3), stride: (1, 1), padding: .explicit(Padding(top: 0, bottom: 0, left: 2, right: 0)))
        }
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: (2, 2), stride: (0, 1)) }
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: (0, 2), stride: (1, 1)) }
        #expect(throws: TensorError.self) { try randomTensor([3, 3, 2], seed: 2).maxPool2d(kernel: (2, 2), stride: (2, 2)) }
        #expect(throws: TensorError.self) { try x.adaptiveAvgPool2d(height: 0, width: 2) }
        #expect(throws: TensorError.self) { try randomTensor([3, 2], seed: 3).globalAvgPool2d() }
    }

    @Test("Same-padded pooling with a zero stride throws TensorError instead of crashing")
    func sameZeroStride() async {
        await #expect(processExitsWith: .success) {
            do {
                _ = try Tensor(shape: [1, 4, 4, 1]).maxPool2d(kernel: (2, 2), stride: (0, 2), padding: .same)
                exit(2)
            } catch is TensorError {
                exit(0)
            } catch {
                exit(3)
            }
        }
    }

    @Test("Adaptive average pooling matches the reference for non-divisible sizes", arguments: [
        (10, 10, 3, 3), (7, 7, 7, 7), (5, 7, 2, 3), (3, 3, 5, 5), (9, 4, 4, 3), (6, 6, 1, 1),
    ])
    func adaptive(h: Int, w: Int, oh: Int, ow: Int) throws {
        let input = randomTensor([2, h, w, 3], seed: 31)
        let got = try input.adaptiveAvgPool2d(height: oh, width: ow)
        let want = adaptiveAvgPoolNHWC_reference(input.scalars, n: 2, h: h, w: w, c: 3, oh: oh, ow: ow)
        checkClose(got, shape: [2, oh, ow, 3], want, atol: 1e-5, rtol: 1e-5)
        if (h, w) == (oh, ow) { #expect(got.scalars == input.scalars) }
    }

    @Test("Adaptive average pooling by hand: 10x10 → 3x3 and 5x7 → 2x3 with overlapping windows")
    func adaptiveHand() throws {
        // Rows 0..<4, 3..<7, 6..<10 (means 1.5, 4.5, 7.5) for both axes of 10·y + x.
        checkClose(try gridTensor(height: 10, width: 10).adaptiveAvgPool2d(height: 3, width: 3), shape: [1, 3, 3, 1],
                   [16.5, 19.5, 22.5, 46.5, 49.5, 52.5, 76.5, 79.5, 82.5], atol: 1e-5)
        // Rows 0..<3, 2..<5 (means 1, 3); columns 0..<3, 2..<5, 4..<7 (means 1, 3, 5).
        checkClose(try gridTensor(height: 5, width: 7).adaptiveAvgPool2d(height: 2, width: 3), shape: [1, 2, 3, 1],
                   [11, 13, 15, 31, 33, 35], atol: 1e-5)
    }

    @Test("Global average pooling is the mean over height and width, N x C")
    func globalAverage() throws {
        let input = randomTensor([3, 5, 4, 6], seed: 41)
        let got = try input.globalAvgPool2d()
        var want = [Float](repeating: 0, count: 3 * 6)
        let x = input.scalars
        for b in 0..<3 {
            for c in 0..<6 {
                var sum = 0.0
                for y in 0..<5 { for xx in 0..<4 { sum += Double(x[((b * 5 + y) * 4 + xx) * 6 + c]) } }
                want[b * 6 + c] = Float(sum / 20)
            }
        }
        checkClose(got, shape: [3, 6], want, atol: 1e-5, rtol: 1e-5)
        checkClose(try input.adaptiveAvgPool2d(height: 1, width: 1), shape: [3, 1, 1, 6], want, atol: 1e-5, rtol: 1e-5)
    }
}
