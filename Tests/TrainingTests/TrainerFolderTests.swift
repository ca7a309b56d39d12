import Checkpoints
import Datasets
import Determinism
import Foundation
import ImageIO
import Models
import NN
import Tensors
import Testing
@testable import Training

/// A folder of two classes of small PNG pages: dark ones with a bright vertical stripe, and
/// bright ones with a dark horizontal stripe, at slightly different sizes.
private func makeStripeFolder(perClass: Int) throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-folder-\(UUID().uuidString)")
    var generator = SplitMix64(seed: 5)
    for (label, name) in ["dark", "light"].enumerated() {
        let folder = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0 ..< perClass {
            let (width, height) = (40 + index % 3, 30 + index % 2)
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0 ..< height {
                for x in 0 ..< width {
                    let stripe = label == 0 ? abs(x - width / 2) < 4 : abs(y - height / 2) < 4
                    let base = label == 0 ? 40 : 200
                    let value = (stripe ? 255 - base : base) + Int.random(in: -20 ... 20, using: &generator)
                    for c in 0 ..< 3 { pixels[(y * width + x) * 3 + c] = UInt8(clamping: value) }
                }
            }
            let data = try ImageEncoder.png(RGBImage(width: width, height: height, pixels: pixels))
            try data.write(to: folder.appendingPathComponent("page\(index).png"))
        }
    }
    return root
}

@Test func batchLoaderBatchesCoverEveryImageOnceAnEpochInAReproducibleShuffledOrder() throws {
    let root = try makeStripeFolder(perClass: 5)
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = try ImageFolder(directory: root)
    let transform = InputSpec(inputSize: 8, resize: .bilinear, preprocessing: .rescale)
    func labels(epoch: Int, seed: UInt64) throws -> [[Int]] {
        var batches: [[Int]] = []
        try (BatchLoader(files: folder.files, transform: transform, batchSize: 4, shuffle: true, seed: seed) as any BatchSource)
            .forEachBatch(epoch: epoch) { (batch: Batch) in
                #expect(batch.images.shape == [batch.labels.count, 8, 8, 3])
                #expect(batch.images.scalars.allSatisfy { (0 ... 1).contains($0) })
                batches.append(batch.labels)
            }
        return batches
    }
    let first = try labels(epoch: 0, seed: 1)
    #expect(first.map(\.count) == [4, 4, 2])
    #expect(first.flatMap { $0 }.sorted() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    #expect(try labels(epoch: 0, seed: 1) == first)
    #expect(try labels(epoch: 1, seed: 1) != first || (try labels(epoch: 2, seed: 1)) != first)
}

@Test func batchLoaderBatchesReportAnUnreadableImageByPath() throws {
    let root = try makeStripeFolder(perClass: 2)
    defer { try? FileManager.default.removeItem(at: root) }
    let broken = root.appendingPathComponent("dark/broken.png")
    try Data("not an image".utf8).write(to: broken)
    let batches: any BatchSource = BatchLoader(
        files: try ImageFolder(directory: root).files, transform: InputSpec(inputSize: 8, resize: .bilinear, preprocessing: .rescale),
        batchSize: 8, shuffle: false)
    #expect { try batches.forEachBatch(epoch: 0) { _ in } } throws: { "\($0)".contains("broken.png") }
}

@Test func theSmallCNNLearnsStripedPagesFromAFolderAndSavesWeightsInferenceAgreesWith() throws {
    let root = try makeStripeFolder(perClass: 8)
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = try ImageFolder(directory: root)
    let transform = InputSpec(inputSize: 16, resize: .bilinear, preprocessing: .rescale)
    let network = try makeTrainableNetwork(.smallCNN, classes: 2, inputSize: 16, parameters: RandomParameterSource(seed: 3))
    let batches = BatchLoader(files: folder.files, transform: transform, batchSize: 4, shuffle: true, seed: 2)
    let validation = BatchLoader(files: folder.files, transform: transform, batchSize: 16, shuffle: false)
    let trainer = Trainer(network: network, recipe: .scratch(.smallCNN, epochs: 15, learningRate: 3e-3),
                          classWeights: ClassWeights.balanced(counts: folder.classCounts), seed: 4)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("small-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let metadata = WeightsMetadata(architecture: .smallCNN, classes: folder.classes, 
                                   input: InputSpec(inputSize: 16, resize: .bilinear, preprocessing: .rescale),
                                   provenance: "test", trained: true)
    trainer.saveBest = { try network.saveWeights(to: url, metadata: metadata) }
    let summary = try trainer.run(train: batches, validation: validation)

    #expect(summary.bestValidationLoss! < 0.2)
    #expect(try trainer.evaluate(on: validation).accuracy == 1)
    // The saved file, read by the inference network, gives the trained network's answers.
    let inference = try Architecture.smallCNN.build(parameters: SafetensorsFile(contentsOf: url), classes: 2, inputSize: 16)
    try validation.forEachBatch(epoch: 0) { (batch: Batch) in
        let expected = try network.logits(batch.images).softmax().scalars
        let got = try inference(batch.images).scalars
        #expect(zip(expected, got).allSatisfy { abs($0 - $1) < 1e-4 })
    }
}
