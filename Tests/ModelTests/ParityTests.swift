import Foundation
import Models
import NN
import Tensors
import Testing

/// Each architecture against the outputs its reference framework (Keras or torchvision)
/// computed for the same weights and input.
@Suite("Parity with Keras and torchvision")
struct ParityTests {
    static let tolerance: Float = 1e-4

    @Test("The parameter list matches the framework's names, shapes, order and count", arguments: Architecture.allCases)
    func parameterList(architecture: Architecture) throws {
        let golden = try GoldenFile.load(architecture)
        let ours = try architecture.parameterList(classes: 4)
        #expect(ours.map(\.name) == golden.layerParameterNames)
        #expect(ours.map(\.shape) == golden.parameters.map(\.shape))
        // Keras's count_params() includes the batch-norm moving statistics; PyTorch keeps
        // running_mean/running_var as buffers, outside parameters().
        let counted = ours.filter { !($0.name.hasSuffix(".running_mean") || $0.name.hasSuffix(".running_var")) }
        #expect(counted.reduce(0) { $0 + $1.shape.reduce(1, *) } == golden.parameter_count)
    }

    @Test("Probabilities equal the framework's to 1e-4", arguments: Architecture.allCases)
    func probabilities(architecture: Architecture) throws {
        let golden = try GoldenFile.load(architecture)
        let network = try architecture.build(parameters: try golden.parameterSource(), classes: 4)
        let input = golden.inputTensor()
        try expectClose(network.probabilities(input), golden.outputs["probabilities"])
        if !architecture.outputsProbabilities {
            try expectClose(network(input), golden.outputs["logits"])
        }
    }

    @Test("InceptionV3 at batch 8 (where more of its layers run by Winograd: the 8 x 8 ones on 2 threads) equals torchvision's")
    func inceptionBatchOfEight() throws {
        let golden = try GoldenFile.load(.inceptionV3)
        let network = try Architecture.inceptionV3.build(parameters: try golden.parameterSource(), classes: 4)
        let input = golden.inputTensor()
        let copies = 8 / input.shape[0]
        let batch = try Tensor(shape: [8] + input.shape.dropFirst(), values: Array(repeating: input.scalars, count: copies).flatMap { $0 })
        let expected = try #require(golden.outputs["probabilities"])
        try expectClose(network.probabilities(batch), Array(repeating: expected, count: copies).flatMap { $0 })
    }

    @Test("InceptionV3 with transform_input equals torchvision's")
    func inceptionTransformInput() throws {
        let golden = try GoldenFile.load(.inceptionV3)
        let network = try Architecture.inceptionV3.build(
            parameters: try golden.parameterSource(), classes: 4, options: NetworkOptions(transformInput: true))
        try expectClose(network.probabilities(golden.inputTensor()), golden.outputs["probabilities_transform_input"])
    }

    private func expectClose(_ actual: Tensor, _ expected: [[Double]]?, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try #require(expected, "the golden file lacks this output", sourceLocation: sourceLocation)
        #expect(actual.shape == [expected.count, expected.first?.count ?? 0], sourceLocation: sourceLocation)
        let difference = zip(actual.scalars, expected.joined()).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(difference <= Double(Self.tolerance), "max |difference| \(difference)", sourceLocation: sourceLocation)
    }
}
