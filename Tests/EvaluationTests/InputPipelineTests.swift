import Datasets
import Evaluation
import Foundation
import ImageIO
import Inference
import Testing

/// Training, evaluation and serving turn a file into the same network input: one `InputSpec`.
@Suite("One input pipeline")
struct InputPipelineTests {
    /// A 400 x 300 JPEG whose colours vary everywhere, so a crop, resize or decoding difference shows.
    static func page() -> RGBImage {
        let (width, height) = (400, 300)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let offset = (y * width + x) * 3
                pixels[offset] = UInt8((x * 7 + y * 3) % 256)
                pixels[offset + 1] = UInt8((y * 11 + x) % 256)
                pixels[offset + 2] = UInt8((x * y) % 256)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// With `decode_ratio` 2 the 32 px input from a 70 % crop needs 93 rows: the page decodes at 3/8 (150 x 113).
    @Test("The same file gives bit-identical input through the classifier, the batch loader and the evaluator",
          arguments: [nil, 2.0])
    func samePixelsEverywhere(decodeRatio: Double?) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let classes = ["a", "b"]
        for name in classes {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("data/\(name)"), withIntermediateDirectories: true)
        }
        let file = root.appendingPathComponent("data/b/page.jpg")
        try ImageEncoder.jpeg(Self.page(), quality: 85).write(to: file)
        // The weights' metadata carries the whole contract (crop, bilinear, standard, 32 px); the entry names none of it.
        var entry = ModelEntry(key: "m", architecture: .smallCNN, weights: "m.safetensors")
        entry.classes = classes
        entry.inputSize = 32
        entry.preprocessing = .standard
        entry.resize = .bilinear
        entry.crop = CropBox(left: 0.1, top: 0.2, right: 0.8, bottom: 0.9)
        entry.decodeRatio = decodeRatio
        let writer = try ModelRegistry(entries: [entry], baseDirectory: root)
        try writer.writeRandomWeights(for: entry, seed: 5)
        let registry = try ModelRegistry(entries: [ModelEntry(key: "m", architecture: .smallCNN, weights: "m.safetensors")],
                                         baseDirectory: root)
        let classifier = try Classifier(entry: registry.entry("m"), registry: registry)
        #expect(classifier.input == InputSpec(inputSize: 32, resize: .bilinear, preprocessing: .standard, crop: entry.crop,
                                              decodeRatio: decodeRatio))

        // Serving: the bytes decoded as the contract says, then the classifier's batch (classify) and prepared (batch scoring) inputs.
        let decoded = try classifier.decode(Data(contentsOf: file))
        #expect(decoded.width == (decodeRatio == nil ? 400 : 150))
        let served = classifier.inputBatch([decoded]).scalars
        // The decoding is part of the contract: a full decode gives other input when the field is on.
        #expect((classifier.inputBatch([try ImageDecoder.decode(Data(contentsOf: file))]).scalars == served) == (decodeRatio == nil))
        #expect(classifier.prepare(decoded).values == served)
        // Training and evaluation: the batch loader, reading the file itself.
        let folder = try ImageFolder(directory: root.appendingPathComponent("data"), classes: classes)
        let loader = BatchLoader(files: folder.files, transform: classifier.input, batchSize: 1, shuffle: false)
        var loaded: [Float] = []
        try loader.forEachBatch(epoch: 0) { (batch: LoadedBatch) in loaded = batch.images.scalars }
        #expect(loaded.count == 32 * 32 * 3)
        #expect(loaded.map(\.bitPattern) == served.map(\.bitPattern))
        // The contract matters: the whole page gives other input.
        var wholePage = classifier.input
        wholePage.crop = nil
        #expect(wholePage.values(decoded) != served)

        // The evaluator reads the file as the loader does and classifies it as the server does.
        let evaluated = try Evaluator(classifier: classifier).run(on: folder).results
        #expect(evaluated.map(\.probabilities) == [try classifier.classify([decoded])[0].probabilities])
    }
}
