import Foundation
@testable import Kernels
import NN
import Testing
import Tensors

/// One convolution to run through `Tensor.conv2d` and `conv2d_reference`.
struct ConvCase: CustomTestStringConvertible, Sendable {
    var batch = 1, height: Int, width: Int, channels: Int, outputChannels: Int
    var kernel: (Int, Int)
    var stride = (1, 1)
    var padding = PaddingMode.valid
    var groups = 1
    var bias = true
    var activation = Activation.identity
    /// The output size the caller worked out by hand, when it did.
    var expectedOutput: (Int, Int)? = nil

    var testDescription: String {
        "N\(batch) \(height)x\(width)x\(channels)→\(outputChannels) k\(kernel.0)x\(kernel.1) s\(stride.0),\(stride.1) "
            + "\(padding) g\(groups)\(bias ? " bias" : "") \(activation.rawValue)"
    }

    func makeInputs(seed: UInt64 = 7) -> (input: Tensor, weight: Tensor, bias: Tensor?) {
        let input = randomTensor([batch, height, width, channels], seed: seed)
        let weight = randomTensor([kernel.0, kernel.1, channels / groups, outputChannels], seed: seed &+ 1)
        // Biases large enough that relu and relu6 clip on both sides.
        let bias = self.bias ? randomTensor([outputChannels], seed: seed &+ 2, in: -3...3) : nil
        return (input, weight, bias)
    }
}

/// Runs `c` through the library and the reference and compares them.
func checkConvolution(_ c: ConvCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (input, weight, bias) = c.makeInputs()
    let got = try input.conv2d(
        weight: weight, bias: bias, stride: c.stride, padding: c.padding, groups: c.groups, activation: c.activation)
    let want = conv2dNHWC_reference(
        input, weight: weight, bias: bias, stride: c.stride, padding: c.padding, groups: c.groups, activation: c.activation)
    if let (oh, ow) = c.expectedOutput {
        #expect(Array(want.shape[1...2]) == [oh, ow], "reference output size", sourceLocation: sourceLocation)
    }
    checkClose(got, shape: want.shape, want.values, c.testDescription, sourceLocation: sourceLocation)
}

/// Runs `write` (case `c`'s convolution of `input` by `weight` into channels `offset ..< offset +
/// OC` of `output`) on an output 9 channels wider than the case's, filled with a sentinel, with
/// each kernel set in `sets` (nil: the one in use), and checks the slice against the naive
/// reference and that the other channels keep the sentinel: InceptionV3's branches fill their
/// concatenation so.
func checkChannelSlice(
    _ c: ConvCase, seed: UInt64, sets: [KernelSet]? = nil,
    write: (_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, _ output: Tensor, _ offset: Int) throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let (input, weight, bias) = c.makeInputs(seed: seed)
    let want = conv2dNHWC_reference(input, weight: weight, bias: bias, stride: c.stride, padding: c.padding,
                                    groups: c.groups, activation: c.activation)
    let (n, oh, ow, oc) = (want.shape[0], want.shape[1], want.shape[2], want.shape[3])
    let (offset, total) = (5, oc + 9)
    let sentinel: Float = -7.25
    var expected = [Float](repeating: sentinel, count: n * oh * ow * total)
    for pixel in 0..<(n * oh * ow) {
        for ch in 0..<oc { expected[pixel * total + offset + ch] = want.values[pixel * oc + ch] }
    }
    let each: [KernelSet?] = sets.map { $0.map { Optional($0) } } ?? [nil]
    for set in each {
        let output = Tensor(shape: [n, oh, ow, total], repeating: sentinel)
        if let set {
            try KernelSet.with(set) { try write(input, weight, bias, output, offset) }
        } else {
            try write(input, weight, bias, output, offset)
        }
        checkClose(output, shape: [n, oh, ow, total], expected, "\(set.map { "\($0) " } ?? "")\(c.testDescription)",
                   sourceLocation: sourceLocation)
    }
}

/// A fixed asymmetric padding.
let asymmetric = PaddingMode.explicit(Padding(top: 0, bottom: 2, left: 1, right: 0))

@Suite("Convolution against a naive reference")
struct ConvolutionTests {
    static let kernelSizeCases: [ConvCase] = [
        ConvCase(height: 5, width: 6, channels: 8, outputChannels: 12, kernel: (1, 1)),
        ConvCase(batch: 3, height: 7, width: 7, channels: 3, outputChannels: 5, kernel: (3, 3), padding: .same,
                 activation: .relu, expectedOutput: (7, 7)),
        ConvCase(height: 10, width: 9, channels: 4, outputChannels: 6, kernel: (5, 5), bias: false, expectedOutput: (6, 5)),
        ConvCase(height: 6, width: 11, channels: 3, outputChannels: 4, kernel: (1, 7), padding: .same, expectedOutput: (6, 11)),
        ConvCase(height: 11, width: 6, channels: 3, outputChannels: 4, kernel: (7, 1), padding: .same, expectedOutput: (11, 6)),
        ConvCase(height: 8, width: 5, channels: 12, outputChannels: 7, kernel: (3, 1), activation: .relu6,
                 expectedOutput: (6, 5)),
        ConvCase(batch: 3, height: 6, width: 6, channels: 12, outputChannels: 9, kernel: (3, 3), padding: .explicit(.symmetric(1)),
                 expectedOutput: (6, 6)),
    ]

    @Test("Convolution matches the reference for kernels 1x1, 3x3, 5x5, 1x7, 7x1 and 3x1", arguments: kernelSizeCases)
    func kernelSizes(_ c: ConvCase) throws { try checkConvolution(c) }

    static let strideAndPaddingCases: [ConvCase] = [
        // Keras `same`, stride 2: odd input → symmetric padding, even input → the extra pad at the bottom/right.
        ConvCase(height: 7, width: 7, channels: 3, outputChannels: 4, kernel: (3, 3), stride: (2, 2), padding: .same,
                 activation: .relu, expectedOutput: (4, 4)),
        ConvCase(height: 8, width: 8, channels: 3, outputChannels: 4, kernel: (3, 3), stride: (2, 2), padding: .same,
                 activation: .relu6, expectedOutput: (4, 4)),
        ConvCase(batch: 3, height: 7, width: 10, channels: 2, outputChannels: 3, kernel: (3, 3), stride: (2, 2), padding: .same,
                 expectedOutput: (4, 5)),
        ConvCase(height: 9, width: 10, channels: 2, outputChannels: 3, kernel: (5, 5), stride: (2, 2), padding: .same,
                 expectedOutput: (5, 5)),
        ConvCase(height: 6, width: 6, channels: 2, outputChannels: 3, kernel: (2, 2), stride: (1, 1), padding: .same,
                 expectedOutput: (6, 6)),
        ConvCase(height: 9, width: 8, channels: 3, outputChannels: 4, kernel: (3, 3), stride: (2, 2), padding: .valid,
                 expectedOutput: (4, 3)),
        ConvCase(height: 6, width: 9, channels: 3, outputChannels: 5, kernel: (3, 3), stride: (1, 2), padding: .same,
                 expectedOutput: (6, 5)),
        ConvCase(height: 7, width: 7, channels: 3, outputChannels: 4, kernel: (3, 1), stride: (1, 2), expectedOutput: (5, 4)),
        // PyTorch style: symmetric explicit padding with stride 2 (differs from Keras `same` on even inputs).
        ConvCase(height: 8, width: 8, channels: 3, outputChannels: 4, kernel: (3, 3), stride: (2, 2),
                 padding: .explicit(.symmetric(1)), expectedOutput: (4, 4)),
        ConvCase(height: 7, width: 9, channels: 3, outputChannels: 4, kernel: (7, 7), stride: (2, 2),
                 padding: .explicit(.symmetric(height: 3, width: 2)), expectedOutput: (4, 4)),
        ConvCase(height: 6, width: 5, channels: 3, outputChannels: 4, kernel: (3, 3), stride: (2, 1), padding: asymmetric,
                 activation: .relu, expectedOutput: (3, 4)),
        // 1x1 kernels that are not the plain matrix product: strided, padded.
        ConvCase(height: 7, width: 6, channels: 5, outputChannels: 6, kernel: (1, 1), stride: (2, 2), expectedOutput: (4, 3)),
        ConvCase(height: 4, width: 3, channels: 5, outputChannels: 6, kernel: (1, 1), padding: .explicit(.symmetric(1)),
                 expectedOutput: (6, 5)),
    ]

    @Test("Convolution matches the reference for strides 1, 2 and (1,2) with valid, same, symmetric and asymmetric padding",
          arguments: strideAndPaddingCases)
    func stridesAndPadding(_ c: ConvCase) throws { try checkConvolution(c) }

    static let groupedCases: [ConvCase] = [
        ConvCase(height: 6, width: 7, channels: 6, outputChannels: 8, kernel: (3, 3), padding: .same, groups: 2, activation: .relu),
        ConvCase(batch: 3, height: 5, width: 5, channels: 4, outputChannels: 6, kernel: (1, 1), groups: 2, bias: false),
        ConvCase(height: 7, width: 8, channels: 6, outputChannels: 6, kernel: (3, 3), stride: (2, 2), padding: .same, groups: 3),
        // Depthwise (groups == C == OC).
        ConvCase(batch: 3, height: 6, width: 7, channels: 5, outputChannels: 5, kernel: (3, 3), padding: .same, groups: 5,
                 activation: .relu6),
        ConvCase(height: 8, width: 8, channels: 4, outputChannels: 4, kernel: (3, 3), stride: (2, 2), padding: .same, groups: 4,
                 activation: .relu6, expectedOutput: (4, 4)),
        ConvCase(height: 7, width: 9, channels: 4, outputChannels: 4, kernel: (3, 3), stride: (2, 2), padding: .same, groups: 4,
                 bias: false, expectedOutput: (4, 5)),
        ConvCase(height: 9, width: 10, channels: 3, outputChannels: 3, kernel: (5, 5), stride: (1, 2), groups: 3, expectedOutput: (5, 3)),
        ConvCase(height: 6, width: 5, channels: 3, outputChannels: 3, kernel: (3, 3), stride: (2, 1), padding: asymmetric, groups: 3,
                 activation: .relu),
        ConvCase(height: 8, width: 7, channels: 16, outputChannels: 16, kernel: (3, 3), stride: (2, 2),
                 padding: .explicit(.symmetric(1)), groups: 16),
        // Depthwise with a channel multiplier (OC = 2C): grouped, not the depthwise kernel.
        ConvCase(height: 5, width: 6, channels: 3, outputChannels: 6, kernel: (3, 3), padding: .same, groups: 3),
    ]

    @Test("Grouped and depthwise convolutions match the reference", arguments: groupedCases)
    func grouped(_ c: ConvCase) throws { try checkConvolution(c) }

    @Test("Depthwise convolution with stride 2 and same padding on tiny inputs (2x2, 1x1, 3x2) matches the reference",
          arguments: [(2, 2), (1, 1), (3, 2), (2, 5)])
    func depthwiseTinyInputs(_ size: (Int, Int)) throws {
        // Batch 2 so that a read past the end of one image lands in the next, not in unmapped memory.
        try checkConvolution(ConvCase(batch: 2, height: size.0, width: size.1, channels: 4, outputChannels: 4, kernel: (3, 3),
                                      stride: (2, 2), padding: .same, groups: 4))
    }

    @Test("Depthwise convolution with 16-channel vectors, four at a time, then one, then a scalar tail (104 channels) matches",
          arguments: [(1, PaddingMode.same), (2, .same), (1, .valid), (2, .explicit(Padding(top: 0, bottom: 1, left: 0, right: 1)))])
    func depthwiseVectorChannels(stride: Int, padding: PaddingMode) throws {
        for activation in [Activation.identity, .relu, .relu6] {
            try checkConvolution(ConvCase(batch: 2, height: 9, width: 8, channels: 104, outputChannels: 104, kernel: (3, 3),
                                          stride: (stride, stride), padding: padding, groups: 104, activation: activation))
        }
    }

    @Test("Depthwise convolution four pixels at a time (48 channels: three vectors) matches, at the borders too",
          arguments: [(1, PaddingMode.same), (2, .same), (1, .valid), (3, .explicit(.symmetric(2)))])
    func depthwiseFourPixels(stride: Int, padding: PaddingMode) throws {
        for activation in [Activation.identity, .relu6] {
            try checkConvolution(ConvCase(batch: 2, height: 7, width: 13, channels: 48, outputChannels: 48, kernel: (3, 3),
                                          stride: (stride, stride), padding: padding, groups: 48, activation: activation))
        }
    }

    @Test("Depthwise convolution split between threads in the middle of a row (7 x 9 x 512, one image) matches")
    func depthwiseSplitMidRow() throws {
        try checkConvolution(ConvCase(height: 7, width: 9, channels: 512, outputChannels: 512, kernel: (3, 3), padding: .same,
                                      groups: 512, activation: .relu6))
    }

    @Test("The avx512 set's depthwise kernel (zmm, 32 channels at a time) gives exactly the Swift loop's floats (avx2 set)",
          arguments: [(1, PaddingMode.same), (2, .same), (1, .valid)])
    func depthwiseKernelSameFloats(stride: Int, padding: PaddingMode) throws {
        guard KernelSet.avx512.isSupported else { return }
        for activation in [Activation.identity, .relu, .relu6] {
            for bias in [true, false] {
                // 48 channels: one 32-channel group and one of 16; values around 0 and 6 for the activations.
                let c = ConvCase(batch: 2, height: 7, width: 13, channels: 48, outputChannels: 48, kernel: (3, 3),
                                 stride: (stride, stride), padding: padding, groups: 48, bias: bias, activation: activation)
                let (input, weight, biasValues) = c.makeInputs()
                let scaled = try Tensor(shape: input.shape, values: input.scalars.map { $0 * 12 })
                func run(_ set: KernelSet) throws -> Tensor {
                    try KernelSet.with(set) {
                        try scaled.conv2d(weight: weight, bias: biasValues, stride: c.stride, padding: c.padding, groups: c.groups,
                                          activation: c.activation)
                    }
                }
                #expect(try run(.avx512).scalars == run(.avx2).scalars, "\(c.testDescription)")
            }
        }
    }

    @Test("Both code paths of conv2dForward match: row split (many pixels) and column split (few pixels, many channels)")
    func rowAndColumnSplit() throws {
        // Few output pixels and at least 64 output channels per thread: the column split.
        let wide = max(128, 64 * kernelThreadCount)
        try checkConvolution(ConvCase(height: 4, width: 4, channels: 8, outputChannels: wide, kernel: (3, 3), activation: .relu))
        try checkConvolution(ConvCase(batch: 3, height: 4, width: 4, channels: 8, outputChannels: wide, kernel: (3, 3),
                                      padding: .same, bias: false))
        try checkConvolution(ConvCase(height: 4, width: 4, channels: 8, outputChannels: wide, kernel: (3, 3), padding: .same,
                                      groups: 2, activation: .relu6))
        // Many output pixels (at least 64 per thread): the row split, with a tail that does not divide evenly.
        let tall = 8 * kernelThreadCount + 3
        try checkConvolution(ConvCase(height: tall, width: 9, channels: 3, outputChannels: 8, kernel: (3, 3), padding: .same))
        try checkConvolution(ConvCase(batch: 3, height: tall, width: 5, channels: 12, outputChannels: 40, kernel: (3, 3),
                                      stride: (2, 1), padding: .same, activation: .relu))
    }

    @Test("Threads get as many tiles: MobileNetV2's 7 x 7 projection to 160 channels (5 column panels), 14 x 14 (17 row panels)")
    func unevenPanels() throws {
        try checkConvolution(ConvCase(height: 7, width: 7, channels: 960, outputChannels: 160, kernel: (1, 1)))
        try checkConvolution(ConvCase(height: 14, width: 14, channels: 96, outputChannels: 576, kernel: (1, 1), activation: .relu6))
        // Each chunk's tiles, row by row or column by column, cover the grid once, in at most three rectangles.
        for (rows, columns) in [(5, 5), (17, 18), (1, 7), (6, 1), (66, 6)] {
            for byRows in [true, false] {
                for chunks in 1...5 {
                    var covered = [Int](repeating: 0, count: rows * columns)
                    for chunk in 0..<chunks {
                        let tiles = (rows * columns * chunk / chunks)..<(rows * columns * (chunk + 1) / chunks)
                        var (count, rectangles) = (0, 0)
                        forEachRectangle(of: tiles, rows: rows, columns: columns, byRows: byRows) { r, c in
                            rectangles += 1
                            for i in r { for j in c { covered[i * columns + j] += 1; count += 1 } }
                        }
                        #expect(count == tiles.count && rectangles <= 3, "\(rows)x\(columns) \(byRows) chunk \(chunk) of \(chunks)")
                    }
                    #expect(covered.allSatisfy { $0 == 1 }, "\(rows)x\(columns) byRows \(byRows) in \(chunks)")
                }
            }
        }
    }

    @Test("A patch deeper than one depth block, over several packed row blocks, accumulates correctly")
    func deepPatchesAndManyBlocks() throws {
        // 3x3x72 = 648 values per patch (two depth slices of 512); 20x20 pixels = 34 row panels.
        try checkConvolution(ConvCase(height: 20, width: 20, channels: 72, outputChannels: 40, kernel: (3, 3),
                                      padding: .same, activation: .relu))
    }

    @Test("Output channels that end in a 16-wide weight panel (16, 48) use the narrow micro-kernel correctly",
          arguments: [16, 48])
    func narrowPanels(outputChannels: Int) throws {
        try checkConvolution(ConvCase(height: 13, width: 11, channels: 5, outputChannels: outputChannels, kernel: (3, 3),
                                      padding: .same, activation: .relu))
        try checkConvolution(ConvCase(height: 2, width: 3, channels: 40, outputChannels: outputChannels, kernel: (1, 1)))
    }

    @Test("Pointwise 1x1 convolution matches in both regimes: row split and column split")
    func pointwiseRegimes() throws {
        let wide = max(128, 64 * kernelThreadCount)
        try checkConvolution(ConvCase(height: 3, width: 3, channels: 16, outputChannels: wide, kernel: (1, 1)))
        try checkConvolution(ConvCase(batch: 3, height: 2, width: 3, channels: 16, outputChannels: wide, kernel: (1, 1),
                                      activation: .relu6))
        let tall = 8 * kernelThreadCount + 5
        try checkConvolution(ConvCase(height: tall, width: 11, channels: 16, outputChannels: 24, kernel: (1, 1), activation: .relu))
        try checkConvolution(ConvCase(batch: 3, height: tall, width: 5, channels: 7, outputChannels: 72, kernel: (1, 1), bias: false))
    }

    @Test("Keras same padding puts the odd extra pad at the bottom/right, for odd and even inputs")
    func samePaddingGeometry() {
        // (input, kernel, stride) → (output, before, after), worked out by hand.
        let cases: [(Int, Int, Int, Int, Int, Int)] = [
            (7, 3, 1, 7, 1, 1), (8, 3, 2, 4, 0, 1), (7, 3, 2, 4, 1, 1), (10, 5, 2, 5, 1, 2), (9, 5, 2, 5, 2, 2),
            (6, 2, 1, 6, 0, 1), (11, 7, 1, 11, 3, 3), (5, 1, 2, 3, 0, 0), (2, 3, 2, 1, 0, 1), (1, 3, 2, 1, 1, 1),
        ]
        for (input, kernel, stride, output, before, after) in cases {
            let p = PaddingMode.same.resolve(height: input, width: input + 1, kernel: (kernel, kernel), stride: (stride, stride))
            #expect((p.top, p.bottom) == (before, after), "same padding for \(input), k\(kernel), s\(stride)")
            #expect(samePadding_reference(input: input, kernel: kernel, stride: stride) == (before, after))
            let g = ConvGeometry(batch: 1, inputHeight: input, inputWidth: input, inputChannels: 1, outputChannels: 1,
                                 kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride,
                                 padding: Padding(top: before, bottom: after, left: before, right: after))
            #expect(g?.outputHeight == output && g?.outputWidth == output, "output size for \(input), k\(kernel), s\(stride)")
        }
    }

    @Test("A hand-computed 3x3 convolution: HWIO layout, zero padding and bias")
    func handComputed() throws {
        // A 1x3x3x1 input 1...9, one all-ones 3x3 filter plus a second filter picking the centre tap.
        let input = try Tensor(shape: [1, 3, 3, 1], values: (1...9).map(Float.init))
        var w = [Float](repeating: 0, count: 3 * 3 * 1 * 2)
        for tap in 0..<9 { w[tap * 2] = 1 }  // filter 0: HWIO index (kh, kw, 0, 0)
        w[4 * 2 + 1] = 2  // filter 1: 2 × centre
        let weight = try Tensor(shape: [3, 3, 1, 2], values: w)
        let bias = try Tensor(shape: [2], values: [0.5, -1])
        let out = try input.conv2d(weight: weight, bias: bias, padding: .explicit(.symmetric(1)))
        // Sums of each 3x3 neighbourhood (zeros outside), + 0.5; and 2x − 1.
        let sums: [Float] = [12, 21, 16, 27, 45, 33, 24, 39, 28]
        var expected = [Float]()
        for pixel in 0..<9 {
            expected.append(sums[pixel] + 0.5)
            expected.append(2 * Float(pixel + 1) - 1)
        }
        checkClose(out, shape: [1, 3, 3, 2], expected)
    }

    @Test("conv2d(into:channelOffset:) writes only its channel slice of a wider output", arguments: [
        ConvCase(batch: 3, height: 6, width: 5, channels: 3, outputChannels: 5, kernel: (3, 3), padding: .same, activation: .relu),
        ConvCase(height: 5, width: 5, channels: 4, outputChannels: 4, kernel: (3, 3), stride: (2, 2), padding: .same, groups: 4),
        ConvCase(height: 4, width: 4, channels: 8, outputChannels: max(128, 64 * kernelThreadCount), kernel: (3, 3)),
        ConvCase(height: 3, width: 3, channels: 16, outputChannels: max(128, 64 * kernelThreadCount), kernel: (1, 1)),
        ConvCase(height: 8 * kernelThreadCount + 1, width: 9, channels: 6, outputChannels: 10, kernel: (1, 1), bias: false),
        ConvCase(height: 6, width: 6, channels: 4, outputChannels: 6, kernel: (3, 3), padding: .same, groups: 2),
    ])
    func channelSlice(_ c: ConvCase) throws {
        try checkChannelSlice(c, seed: 99) { input, weight, bias, output, offset in
            let layer = try Conv2D(weight: weight, bias: bias, stride: c.stride, padding: c.padding, groups: c.groups,
                                   activation: c.activation)
            try layer(input, into: output, channelOffset: offset)
        }
    }

    @Test("Conv2D with a folded BatchNorm equals the convolution followed by a reference batch norm",
          arguments: [(1, Activation.relu), (2, .relu6), (4, .identity)])
    func batchNormFolding(groups: Int, activation: Activation) throws {
        let c = ConvCase(batch: 3, height: 6, width: 5, channels: 4, outputChannels: 4, kernel: (3, 3), padding: .same,
                         groups: groups)
        let (input, weight, bias) = c.makeInputs(seed: 5)
        let norm = BatchNorm(
            scale: randomValues(4, seed: 11, in: 0.5...2), shift: randomValues(4, seed: 12),
            mean: randomValues(4, seed: 13), variance: randomValues(4, seed: 14, in: 0.1...3), epsilon: 1e-3)
        for b in [bias, nil] {
            let got = try Conv2D(weight: weight, bias: b, padding: .same, groups: groups, activation: activation,
                                 normalization: norm)(input)
            let plain = conv2dNHWC_reference(input, weight: weight, bias: b, stride: (1, 1), padding: .same,
                                             groups: groups, activation: .identity)
            let want = batchNormNHWC_reference(plain.values, channels: 4, norm, activation: activation)
            checkClose(got, shape: plain.shape, want, "folded, bias \(b != nil)")
        }
    }

    @Test("Conv2D layer and RandomParameterSource: deterministic He-uniform weights, zero bias")
    func randomParameterSource() throws {
        let source = RandomParameterSource(seed: 3)
        let w1 = try source.tensor("conv.weight", shape: [3, 3, 2, 4], role: .weight(fanIn: 18, fanOut: 36))
        let w2 = try source.tensor("conv.weight", shape: [3, 3, 2, 4], role: .weight(fanIn: 18, fanOut: 36))
        let other = try source.tensor("conv2.weight", shape: [3, 3, 2, 4], role: .weight(fanIn: 18, fanOut: 36))
        #expect(w1.scalars == w2.scalars)
        #expect(w1.scalars != other.scalars)
        let limit = Float((6.0 / 18).squareRoot())
        #expect(w1.scalars.allSatisfy { abs($0) <= limit })
        #expect(try source.tensor("b", shape: [4], role: .bias).scalars == [0, 0, 0, 0])
        #expect(try source.tensor("v", shape: [2], role: .runningVariance).scalars == [1, 1])
        let input = randomTensor([1, 5, 5, 2], seed: 1)
        let got = try Conv2D(weight: w1, bias: nil, padding: .same, activation: .relu)(input)
        let want = conv2dNHWC_reference(input, weight: w1, bias: nil, stride: (1, 1), padding: .same, groups: 1, activation: .relu)
        checkClose(got, shape: want.shape, want.values)
    }

    @Test("Convolution shape errors throw TensorError")
    func errors() throws {
        let x = randomTensor([1, 5, 5, 4], seed: 1)
        let w = randomTensor([3, 3, 4, 6], seed: 2)
        // Input channels do not match the weight.
        #expect(throws: TensorError.self) { try x.conv2d(weight: randomTensor([3, 3, 3, 6], seed: 3)) }
        // Not NHWC.
        #expect(throws: TensorError.self) { try randomTensor([5, 5, 4], seed: 4).conv2d(weight: w) }
        // Weight not 4-D.
        #expect(throws: TensorError.self) { try x.conv2d(weight: randomTensor([3, 4, 6], seed: 5)) }
        // Kernel larger than the (unpadded) input.
        #expect(throws: TensorError.self) { try x.conv2d(weight: randomTensor([7, 7, 4, 6], seed: 6)) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: randomTensor([1, 7, 4, 6], seed: 6), padding: .explicit(.symmetric(height: 0, width: 0))) }
        // Groups that do not divide the channels.
        #expect(throws: TensorError.self) { try x.conv2d(weight: randomTensor([3, 3, 2, 5], seed: 7), groups: 2) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: w, groups: 0) }
        // Bias of the wrong length.
        #expect(throws: TensorError.self) { try x.conv2d(weight: w, bias: randomTensor([5], seed: 8)) }
        // Zero stride.
        #expect(throws: TensorError.self) { try x.conv2d(weight: w, stride: (0, 1)) }
        // Negative explicit padding.
        #expect(throws: TensorError.self) {
            try x.conv2d(weight: w, padding: .explicit(Padding(top: -1, bottom: 0, left: 0, right: 0)))
        }
        // An output of the wrong spatial size, or a channel slice past its end.
        let prepared = try ConvWeight(hwio: w)
        let g = try x.convGeometry(weight: prepared, stride: (1, 1), padding: .valid)
        #expect(throws: TensorError.self) {
            try x.conv2d(weight: prepared, bias: nil, geometry: g, activation: .identity, into: Tensor(shape: [1, 4, 3, 6]), channelOffset: 0)
        }
        #expect(throws: TensorError.self) {
            try x.conv2d(weight: prepared, bias: nil, geometry: g, activation: .identity, into: Tensor(shape: [1, 3, 3, 8]), channelOffset: 3)
        }
        #expect(throws: TensorError.self) {
            try x.conv2d(weight: prepared, bias: nil, geometry: g, activation: .identity, into: Tensor(shape: [1, 3, 3, 8]), channelOffset: -1)
        }
    }

    @Test("A convolution weight of rank below 2 throws TensorError instead of crashing")
    func lowRankWeight() async {
        await #expect(processExitsWith: .success) {
            let x = Tensor(shape: [1, 5, 5, 4])
            do {
                _ = try x.conv2d(weight: Tensor(shape: [4]))
                exit(2)
            } catch is TensorError {
                exit(0)
            } catch {
                exit(3)
            }
        }
    }

    @Test("Convolutions of an empty batch return an empty batch, on every code path")
    func emptyBatch() async {
        await #expect(processExitsWith: .success) {
            var ok = true
            for (c, oc, k, groups) in [(3, 5, 3, 1), (4, 4, 3, 4), (8, 512, 3, 1), (16, 512, 1, 1), (6, 4, 1, 1)] {
                let x = Tensor(shape: [0, 4, 4, c])
                let y = try? x.conv2d(weight: Tensor(shape: [k, k, c / groups, oc]), bias: Tensor(shape: [oc]),
                                      padding: .same, groups: groups, activation: .relu)
                ok = ok && y?.shape == [0, 4, 4, oc]
            }
            exit(ok ? 0 : 2)
        }
    }

    @Test("Same padding with a zero stride throws TensorError instead of crashing")
    func sameZeroStride() async {
        await #expect(processExitsWith: .success) {
            let x = Tensor(shape: [1, 5, 5, 4])
            do {
                _ = try x.conv2d(weight: Tensor(shape: [3, 3, 4, 2]), stride: (0, 1), padding: .same)
                exit(2)
            } catch is TensorError {
                exit(0)
            } catch {
                exit(3)
            }
        }
    }
}
