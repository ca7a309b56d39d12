import Determinism
import Foundation
import Kernels
import NN
import Testing
import Tensors
@testable import Training

/// Every operation's backward pass against central finite differences, on small shapes.
@Suite struct OpGradientTests {
    let tolerance: Float = 1e-2

    func conv(_ shape: [Int], layout: ConvLayout, bias: Bool = true, stride: (Int, Int) = (1, 1),
              padding: PaddingMode = .valid) -> ConvLayer {
        ConvLayer(weight: randomParameter("w", shape, role: .weight(fanIn: 1, fanOut: 1)),
                  bias: bias ? randomParameter("b", [layout == .oihw ? shape[0] : shape[3]]) : nil,
                  layout: layout, stride: stride, padding: padding)
    }

    @Test func convolutionWithKerasSamePaddingStrideTwoBiasAndReLU() throws {
        let layer = conv([3, 3, 3, 5], layout: .hwio, stride: (2, 2), padding: .same)
        let check = GradientCheck(inputShapes: [[3, 7, 6, 3]], parameters: [layer.weight, layer.bias!])
        #expect(try check.maximumError { tape, x in try tape.conv2d(x[0], layer, activation: .relu) } < tolerance)
    }

    @Test func asymmetricPyTorchConvolutionWithOIHWWeight() throws {
        let layer = conv([4, 3, 1, 3], layout: .oihw, bias: false, padding: .explicit(.symmetric(height: 0, width: 1)))
        let check = GradientCheck(inputShapes: [[2, 5, 5, 3]], parameters: [layer.weight])
        #expect(try check.maximumError { tape, x in try tape.conv2d(x[0], layer) } < tolerance)
        let tall = conv([4, 3, 3, 1], layout: .oihw, bias: false, padding: .explicit(.symmetric(height: 1, width: 0)))
        let tallCheck = GradientCheck(inputShapes: [[1, 5, 4, 3]], parameters: [tall.weight])
        #expect(try tallCheck.maximumError { tape, x in try tape.conv2d(x[0], tall) } < tolerance)
    }

    /// VGG's and Inception's stride-1 convolutions: 3 x 3 with padding 1, none, and uneven padding.
    @Test(arguments: [Padding.symmetric(1), .none, .symmetric(height: 2, width: 0)])
    func strideOneConvolutionWithPadding(_ padding: Padding) throws {
        let layer = conv([4, 3, 3, 3], layout: .oihw, padding: .explicit(padding))
        let check = GradientCheck(inputShapes: [[2, 6, 5, 3]], parameters: [layer.weight, layer.bias!])
        #expect(try check.maximumError { tape, x in try tape.conv2d(x[0], layer, activation: .relu) } < tolerance)
    }

    @Test func pointwiseConvolutionUsesTheInputAsItsPatches() throws {
        let layer = conv([1, 1, 6, 4], layout: .hwio)
        let check = GradientCheck(inputShapes: [[3, 4, 5, 6]], parameters: [layer.weight, layer.bias!])
        #expect(try check.maximumError { tape, x in try tape.conv2d(x[0], layer) } < tolerance)
    }

    @Test func depthwiseConvolutionWithReLU6() throws {
        let layer = conv([3, 3, 5, 1], layout: .depthwise, bias: false, stride: (2, 2), padding: .same)
        let check = GradientCheck(inputShapes: [[2, 6, 7, 5]], parameters: [layer.weight])
        #expect(try check.maximumError { tape, x in try tape.conv2d(x[0], layer, activation: .relu6) } < tolerance)
    }

    func norm(_ channels: Int, _ convention: NormConvention) -> BatchNormLayer {
        BatchNormLayer(
            scale: randomParameter("g", [channels], role: .normScale, seed: 3),
            shift: randomParameter("b", [channels], role: .normShift, seed: 4),
            mean: Parameter(name: "m", role: .runningMean, initial: Tensor(shape: [channels], repeating: 0.1)),
            variance: Parameter(name: "v", role: .runningVariance, initial: Tensor(shape: [channels], repeating: 0.9)),
            epsilon: 1e-3, convention: convention)
    }

    @Test(arguments: [NormConvention.keras, .torch])
    func batchNormalisationWithBatchStatistics(_ convention: NormConvention) throws {
        let layer = norm(4, convention)
        let check = GradientCheck(inputShapes: [[2, 3, 3, 4]], parameters: [layer.scale, layer.shift])
        #expect(try check.maximumError { tape, x in try tape.batchNorm(x[0], layer, activation: .relu) } < tolerance)
    }

    @Test func frozenKerasBatchNormalisationUsesRunningStatistics() throws {
        let layer = norm(4, .keras)
        layer.scale.isTrainable = false
        let check = GradientCheck(inputShapes: [[2, 3, 3, 4]], parameters: [layer.shift])
        #expect(try check.maximumError { tape, x in try tape.batchNorm(x[0], layer) } < tolerance)
        let before = layer.mean.value.scalars
        _ = try Tape(mode: .training).batchNorm(Variable(Tensor(shape: [1, 2, 2, 4], repeating: 5)), layer)
        #expect(layer.mean.value.scalars == before)
    }

    @Test func runningStatisticsMoveByEachFrameworksRule() throws {
        // Channel values 1, 2, 3, 6: mean 3, biased variance 3.5, unbiased 14/3.
        let x = try Tensor(shape: [1, 2, 2, 1], values: [1, 2, 3, 6])
        let keras = norm(1, .keras), torch = norm(1, .torch)
        _ = try Tape(mode: .training).batchNorm(Variable(x), keras)
        _ = try Tape(mode: .training).batchNorm(Variable(x), torch)
        #expect(abs(keras.mean.value.scalars[0] - (0.99 * 0.1 + 0.01 * 3)) < 1e-6)
        #expect(abs(keras.variance.value.scalars[0] - (0.99 * 0.9 + 0.01 * 3.5)) < 1e-6)
        #expect(abs(torch.mean.value.scalars[0] - (0.9 * 0.1 + 0.1 * 3)) < 1e-6)
        #expect(abs(torch.variance.value.scalars[0] - (0.9 * 0.9 + 0.1 * 14 / 3)) < 1e-6)
    }

    @Test func maxAndAveragePooling() throws {
        let check = GradientCheck(inputShapes: [[2, 7, 7, 3]])
        #expect(try check.maximumError { tape, x in try tape.maxPool2d(x[0], kernel: (3, 3), stride: (2, 2)) } < tolerance)
        #expect(try check.maximumError { tape, x in
            try tape.avgPool2d(x[0], kernel: (3, 3), stride: (1, 1), padding: .explicit(.symmetric(1)))
        } < tolerance)
        #expect(try check.maximumError { tape, x in
            try tape.avgPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: .same, countIncludePad: false)
        } < tolerance)
        #expect(try check.maximumError { tape, x in try tape.adaptiveAvgPool2d(x[0], height: 3, width: 2) } < tolerance)
        #expect(try check.maximumError { tape, x in try tape.globalAvgPool2d(x[0]) } < tolerance)
    }

    @Test(arguments: [false, true])
    func denseLayerAfterEitherFlattenOrder(_ torch: Bool) throws {
        let (inputs, outputs) = (2 * 3 * 4, 5)
        let layer = DenseLayer(
            weight: randomParameter("w", torch ? [outputs, inputs] : [inputs, outputs], role: .weight(fanIn: inputs, fanOut: outputs)),
            bias: randomParameter("b", [outputs]), isTransposed: torch)
        let check = GradientCheck(inputShapes: [[3, 2, 3, 4]], parameters: [layer.weight, layer.bias!])
        #expect(try check.maximumError { tape, x in
            try tape.dense(tape.flatten(x[0], order: torch ? .channelsFirst : .channelsLast), layer, activation: .relu)
        } < tolerance)
    }

    @Test func dropoutScalesKeptValuesAndRepeatsForASeed() throws {
        let check = GradientCheck(inputShapes: [[4, 16]])
        #expect(try check.maximumError { tape, x in
            var generator = SplitMix64(seed: 5)
            return tape.dropout(tape.activation(x[0], .relu6), rate: 0.3, generator: &generator)
        } < tolerance)
        var generator = SplitMix64(seed: 5)
        let y = Tape(mode: .training).dropout(Variable(Tensor(shape: [1000], repeating: 1)), rate: 0.3, generator: &generator)
        let kept = y.value.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 })
        #expect((600...800).contains(kept.count))
        let evaluation = Tape(mode: .evaluation).dropout(Variable(Tensor(shape: [4], repeating: 1)), rate: 0.3, generator: &generator)
        #expect(evaluation.value.scalars == [1, 1, 1, 1])
    }

    @Test func branchesConcatenationAndResidualAddSumTheirGradients() throws {
        let a = conv([1, 1, 3, 2], layout: .hwio), b = conv([3, 3, 3, 4], layout: .hwio, padding: .same)
        let back = conv([1, 1, 6, 3], layout: .hwio)
        let check = GradientCheck(inputShapes: [[2, 4, 4, 3]], parameters: [a.weight, b.weight, back.weight])
        #expect(try check.maximumError { tape, x in
            let joined = try tape.concatChannels([tape.conv2d(x[0], a, activation: .relu), tape.conv2d(x[0], b)])
            return try tape.add(tape.conv2d(joined, back), x[0])  // x reaches the output three ways
        } < tolerance)
    }

    @Test func classWeightedCrossEntropy() throws {
        let labels = [0, 2, 1, 2], weights: [Float] = [1, 2, 0.5]
        var generator = SplitMix64(seed: 9)
        let logits = randomTensor([4, 3], &generator)
        let variable = Variable(logits, requiresGradient: true)
        let tape = Tape(mode: .training)
        let loss = try tape.crossEntropy(variable, labels: labels, classWeights: weights, scale: 0.4)
        // By hand: Σ w_y · (−log softmax_y) / Σ w_y.
        let p = logits.softmax()
        let expected = labels.enumerated().map { -weights[$1] * log(p[$0, $1]) }.reduce(0, +) / 4
        #expect(abs(loss - expected) < 1e-5)
        for index in 0..<12 {
            let step: Float = 1e-2
            func shifted(_ delta: Float) throws -> Float {
                let copy = Tensor(shape: [4, 3]) { $0.update(from: logits.storage.pointer, count: 12) }
                copy.storage.pointer[index] += delta
                return try Tape(mode: .evaluation).crossEntropy(Variable(copy), labels: labels, classWeights: weights)
            }
            let numeric = 0.4 * (try shifted(step) - shifted(-step)) / (2 * step)
            #expect(abs(numeric - variable.gradient!.storage.pointer[index]) < 1e-3)
        }
        #expect(throws: TensorError.self) { try tape.crossEntropy(variable, labels: [0, 1, 3, 0]) }
    }
}
