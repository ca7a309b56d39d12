import Foundation
import Inference
import Models
import NN
import Tensors
import Testing

/// The novelty check: the fit against scikit-learn, the threshold, the networks' penultimate
/// features, and the sidecar file.
@Suite("Novelty check")
struct NoveltyModelTests {
    /// `tools/reference/novelty_reference.py`'s output.
    struct Reference: Decodable {
        struct Probe: Decodable { let distance: Double, nearest: Int }
        let classes: Int, dimension: Int
        let features: [[Float]], labels: [Int]
        let means: [[Double]], shrinkage: Double, covariance: [Double]
        let probes: [[Float]], distances: [Probe]
    }

    static func reference() throws -> Reference {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/novelty_reference", withExtension: "json"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    @Test("Means, Ledoit-Wolf shrinkage, covariance and Mahalanobis distances match scikit-learn and numpy")
    func matchesScikitLearn() throws {
        let reference = try Self.reference()
        let estimate = try NoveltyModel.estimate(
            features: reference.features, labels: reference.labels, classCount: reference.classes)
        #expect(estimate.counts == [20, 14, 9])
        #expect(abs(estimate.shrinkage - reference.shrinkage) < 1e-9, "\(estimate.shrinkage) vs \(reference.shrinkage)")
        #expect(estimate.shrinkage > 0.05 && estimate.shrinkage < 0.95, "the fixture exercises real shrinkage")
        for (ours, theirs) in zip(estimate.means.joined(), reference.means.joined()) { #expect(abs(ours - theirs) < 1e-9) }
        for (ours, theirs) in zip(estimate.covariance, reference.covariance) { #expect(abs(ours - theirs) < 1e-9 * max(1, abs(theirs))) }

        let model = try NoveltyModel(estimate: estimate, classes: ["a", "b", "c"], featureLayer: "test", threshold: 3)
        for (probe, expected) in zip(reference.probes, reference.distances) {
            let score = model.score(probe[...])
            #expect(abs(score.distance - expected.distance) < 1e-4 * max(1, expected.distance), "\(score.distance) vs \(expected.distance)")
            #expect(score.nearestClass == ["a", "b", "c"][expected.nearest])
            #expect(score.accepted == (score.distance <= 3))
        }
    }

    @Test("With identity covariance the distance is the Euclidean distance to the nearest mean")
    func closedForm() throws {
        let identity: [Float] = [1, 0, 0, 1]
        let model = try NoveltyModel(classes: ["a", "b"], featureLayer: "test", means: [[0, 0], [10, 0]], whitening: identity, threshold: 4)
        let near = model.score([3, 4][...])
        #expect(near.distance == 5 && near.nearestClass == "a" && !near.accepted)
        let other = model.score([9, 1][...])
        #expect(abs(other.distance - 2.squareRoot()) < 1e-6 && other.nearestClass == "b" && other.accepted)
        // Σ = diag(4, 1): W = diag(1/2, 1); a step of 2 along x is one standard deviation.
        let scaled = try NoveltyModel(classes: ["a"], featureLayer: "test", means: [[0, 0]], whitening: [0.5, 0, 0, 1], threshold: 4)
        #expect(scaled.score([2, 0][...]).distance == 1)
    }

    @Test("The threshold is the smallest distance that the target share of validation pages lie within")
    func threshold() {
        let distances = (1...100).map(Double.init).shuffled()
        #expect(NoveltyModel.threshold(passing: 0.99, of: distances) == 99)
        #expect(NoveltyModel.threshold(passing: 1, of: distances) == 100)
        #expect(NoveltyModel.threshold(passing: 0.5, of: distances) == 50)
        // 114 pages (the validation split): ⌈112.86⌉ = 113 must pass.
        let validation = (1...114).map(Double.init)
        let t = NoveltyModel.threshold(passing: 0.99, of: validation)
        #expect(validation.filter { $0 <= t }.count == 113)
        #expect(NoveltyModel.threshold(passing: 0.99, of: [7]) == 7)
    }

    @Test("Bad input to the fit is a clear error, not a crash")
    func fitErrors() {
        #expect(throws: NoveltyModelError.self) {
            try NoveltyModel.estimate(features: [[1, 2], [3, 4]], labels: [0, 0], classCount: 2)  // class 1 empty
        }
        #expect(throws: NoveltyModelError.self) {
            try NoveltyModel.estimate(features: [[1, 2], [3]], labels: [0, 1], classCount: 2)  // ragged
        }
        #expect(throws: NoveltyModelError.self) {
            try NoveltyModel.estimate(features: [[1, 1], [1, 1], [2, 2], [2, 2]], labels: [0, 0, 1, 1], classCount: 2)  // no spread
        }
        #expect(throws: NoveltyModelError.self) {
            try NoveltyModel(classes: ["a"], featureLayer: "x", means: [[0, 0]], whitening: [1, 0, 0, 1], threshold: .nan)
        }
    }

    static func network(_ architecture: Architecture, seed: UInt64) throws -> any Network {
        try architecture.build(parameters: RandomParameterSource(seed: seed), classes: 4, inputSize: 32)
    }

    @Test("The penultimate pass gives exactly the network's output, and features of the penultimate width",
          arguments: [Architecture.smallCNN, .mobileNetV2])
    func penultimateFeatures(architecture: Architecture) throws {
        let network = try Self.network(architecture, seed: 3)
        let penultimate = try #require(network.penultimate)
        var generator = SystemRandomNumberGenerator()
        let input = try Tensor(shape: [2, 32, 32, 3], values: (0..<(2 * 32 * 32 * 3)).map { _ in Float.random(in: -1...1, using: &generator) })
        let (features, output) = try penultimate.penultimateAndOutput(input)
        #expect(output.scalars == (try network(input)).scalars)
        #expect(features.shape == [2, penultimate.penultimateWidth])
        #expect(penultimate.penultimateWidth == (architecture == .smallCNN ? 64 : 128))
        #expect((try penultimate.output(fromPenultimate: features)).scalars == output.scalars)
    }

    @Test("The sidecar round-trips, and refuses to load with other weights")
    func sidecarRoundTrip() throws {
        let network = try Self.network(.smallCNN, seed: 5)
        let reference = try Self.reference()
        let d = network.penultimate!.penultimateWidth
        // Features of the right width: the reference's, repeated across the 64 dimensions.
        let features = reference.features.map { row in (0..<d).map { row[$0 % row.count] + Float($0) * 0.01 * row[0] } }
        let estimate = try NoveltyModel.estimate(features: features, labels: reference.labels.map { $0 % 3 }, classCount: 3)
        let classes = ["Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction"]
        let model = try NoveltyModel(estimate: estimate, classes: classes, featureLayer: "dense", threshold: 12.5,
                                     facts: ["test_pass": "100.0 %"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("Novelty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("small_cnn.safetensors")
        #expect(try NoveltyModel.sidecar(forWeights: weights, network: network) == nil, "no sidecar: no novelty check")

        let url = NoveltyModel.sidecarURL(forWeights: weights)
        #expect(url.lastPathComponent == "small_cnn.gate.safetensors")
        try model.write(to: url, network: network)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(size < 40_000, "a small file next to the weights (\(size) bytes)")
        let read = try #require(try NoveltyModel.sidecar(forWeights: weights, network: network))
        #expect(read == model)
        #expect(read.facts["test_pass"] == "100.0 %")
        let probe = features[7][...]
        #expect(read.score(probe) == model.score(probe))

        let other = try Self.network(.smallCNN, seed: 6)
        #expect {
            _ = try NoveltyModel.read(url, network: other)
        } throws: { error in
            "\(error)".contains("fitted on other weights") && "\(error)".contains("ecg fit-gate")
        }
        let mobile = try Self.network(.mobileNetV2, seed: 5)
        #expect(throws: NoveltyModelError.self) { _ = try NoveltyModel.read(url, network: mobile) }

        try Data("not safetensors".utf8).write(to: url)
        #expect {
            _ = try NoveltyModel.read(url, network: network)
        } throws: { error in
            "\(error)".contains(url.lastPathComponent)
        }
    }
}
