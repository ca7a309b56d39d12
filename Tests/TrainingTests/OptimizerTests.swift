import NN
import Tensors
import Testing
@testable import Training

/// Three steps with these gradients, from weights (1, -0.5) and biases (0.25, 0.75), learning
/// rate 0.1; expectations computed with PyTorch 2.13 (the kernel decays, the bias does not) and
/// checked by hand for the first step.
private let gradients: [[Float]] = [[0.5, -2], [0.1, 0.3], [-0.4, 1]]

private func runSteps(_ optimizer: any Optimizer) throws -> [(weight: [Float], bias: [Float])] {
    let weight = Parameter(name: "w", role: .weight(fanIn: 2, fanOut: 1), initial: try Tensor(shape: [2], values: [1, -0.5]))
    let bias = Parameter(name: "b", role: .bias, initial: try Tensor(shape: [2], values: [0.25, 0.75]))
    return gradients.map { gradient in
        for parameter in [weight, bias] {
            parameter.gradient.withMutablePointer { $0.update(from: gradient, count: 2) }
        }
        optimizer.step([weight, bias], learningRate: 0.1)
        return (weight.value.scalars, bias.value.scalars)
    }
}

private func expectClose(_ actual: [(weight: [Float], bias: [Float])], _ expected: [([Float], [Float])]) {
    for (step, (got, want)) in zip(actual, expected).enumerated() {
        for (a, b) in zip(got.weight + got.bias, want.0 + want.1) {
            #expect(abs(a - b) < 2e-6, "step \(step + 1): \(got) against \(want)")
        }
    }
}

@Test func adamWMatchesPyTorchOverThreeSteps() throws {
    // Step 1 by hand: w = 1 * (1 - 0.1 * 0.01) - 0.1 / (1 - 0.9) * 0.05 / (sqrt(0.00025) / sqrt(0.001)) = 0.899.
    expectClose(try runSteps(AdamW(weightDecay: 0.01)), [
        ([0.899000049, -0.399500012], [0.150000006, 0.849999964]),
        ([0.817796946, -0.343880713], [0.069695912, 0.905219793]),
        ([0.807609260, -0.333618730], [0.060325973, 0.915137887]),
    ])
}

@Test func sgdWithMomentumMatchesPyTorchOverThreeSteps() throws {
    // Step 1 by hand: w = 1 - 0.1 * (0.5 + 0.1 * 1) = 0.94; bias = 0.25 - 0.1 * 0.5 = 0.2.
    expectClose(try runSteps(SGD(momentum: 0.9, weightDecay: 0.1)), [
        ([0.94, -0.295], [0.2, 0.95]),
        ([0.866599977, -0.137549996], [0.145, 1.1]),
        ([0.831873953, -0.094469517], [0.1355, 1.135]),
    ])
}

@Test func nesterovSGDMatchesPyTorchOverThreeSteps() throws {
    expectClose(try runSteps(SGD(momentum: 0.9, weightDecay: 0.1, nesterov: true)), [
        ([0.885999978, -0.110500023], [0.155, 1.13]),
        ([0.801565945, 0.000649469], [0.0955, 1.235]),
        ([0.803319573, -0.063322842], [0.12695, 1.1665]),
    ])
}

@Test func optimisersLeaveFrozenParametersAndRunningStatisticsAlone() throws {
    for optimizer in [AdamW(), SGD()] as [any Optimizer] {
        let frozen = Parameter(name: "frozen", role: .weight(fanIn: 1, fanOut: 1), initial: Tensor(shape: [3], repeating: 1))
        frozen.isTrainable = false
        let mean = Parameter(name: "mean", role: .runningMean, initial: Tensor(shape: [3], repeating: 2))
        let live = Parameter(name: "live", role: .bias, initial: Tensor(shape: [3], repeating: 3))
        for parameter in [frozen, mean, live] {
            parameter.gradient.withMutablePointer { $0.update(repeating: 1, count: 3) }
        }
        optimizer.step([frozen, mean, live], learningRate: 0.5)
        #expect(frozen.value.scalars == [1, 1, 1])
        #expect(mean.value.scalars == [2, 2, 2])
        #expect(live.value.scalars.allSatisfy { $0 < 3 })
    }
}
