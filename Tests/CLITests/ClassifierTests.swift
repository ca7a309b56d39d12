import Checkpoints
import Foundation
import ImageIO
import Inference
import Models
import Testing

/// Random weights, model status and classification, with the small CNN (the fastest model).
@Suite("Random weights, model status and Classifier")
struct ClassifierTests {
    @Test("Status goes from not installed to ready (untrained) once random weights are written")
    func statusLifecycle() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory))
            let entry = try registry.entry("small_cnn")
            guard case .notInstalled = ModelStatus(entry: entry, registry: registry) else {
                Issue.record("expected .notInstalled, got \(ModelStatus(entry: entry, registry: registry))")
                return
            }
            try registry.writeRandomWeights(for: entry, seed: 3)
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("weights/small_cnn.safetensors").path))
            let status = ModelStatus(entry: entry, registry: registry)
            guard case let .ready(trained, provenance) = status else {
                Issue.record("expected .ready, got \(status)")
                return
            }
            #expect(!trained)
            #expect(provenance.contains("untrained") && provenance.contains("seed 3"))
            #expect(status.description.contains("not trained"))
        }
    }

    @Test("An untrained classifier gives 4 probabilities summing to 1, argmax first, batch equal to one by one")
    func classify() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory))
            let entry = try registry.entry("small_cnn")
            try registry.writeRandomWeights(for: entry)
            let classifier = try Classifier(entry: entry, registry: registry)
            #expect(!classifier.trained)
            #expect(classifier.classes == ecgClasses)
            #expect(classifier.inputSize == 299 && classifier.input.preprocessing == .rescale && classifier.input.resize == .bicubic)
            #expect(classifier.displayName == "Small CNN" && classifier.key == "small_cnn")

            let images = (0..<3).map { gradientImage(width: 320, height: 240, phase: 60 * $0) }
            let batch = try classifier.classify(images)
            #expect(batch.count == 3)
            for prediction in batch {
                #expect(prediction.classes == ecgClasses)
                #expect(prediction.probabilities.count == 4)
                #expect(abs(prediction.probabilities.reduce(0, +) - 1) <= 1e-5)
                #expect(prediction.probabilities.allSatisfy { $0 >= 0 && $0 <= 1 && $0.isFinite })
                let best = prediction.probabilities.indices.max { prediction.probabilities[$0] < prediction.probabilities[$1] }!
                #expect(prediction.predictedClass == ecgClasses[best])
            }
            for (image, together) in zip(images, batch) {
                let alone = try #require(try classifier.classify([image]).first)
                let difference = zip(alone.probabilities, together.probabilities).map { abs($0 - $1) }.max()!
                #expect(difference <= 1e-5)
            }
            #expect(try classifier.classify([]).isEmpty)
        }
    }

    @Test("Encoded images are decoded and classified; a non-image is a decoding error")
    func classifyImageData() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory))
            try registry.writeRandomWeights(for: registry.entry("small_cnn"))
            let classifier = try Classifier(entry: registry.entry("small_cnn"), registry: registry)
            let prediction = try classifier.classify(imageData: Data(contentsOf: samplePage))
            #expect(abs(prediction.probabilities.reduce(0, +) - 1) <= 1e-5)
            #expect(throws: ImageDecodingError.self) { try classifier.classify(imageData: Data("not an image".utf8)) }
        }
    }

    @Test("Weights of another architecture than the entry's are a mismatch naming the file")
    func architectureMismatch() throws {
        try withTemporaryDirectory { directory in
            // "other" claims to be a MobileNetV2 but points at the small CNN's weights file.
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(
                in: directory,
                extraEntries: #"{"key": "other", "architecture": "mobilenetv2", "weights": "weights/small_cnn.safetensors"}"#))
            try registry.writeRandomWeights(for: registry.entry("small_cnn"))
            let other = try registry.entry("other")
            let path = registry.weightsURL(other).path
            let error = try #require(throws: CheckpointError.self) { try Classifier(entry: other, registry: registry) }
            guard case let .mismatch(errorPath, reason) = error else {
                Issue.record("expected .mismatch, got \(error)")
                return
            }
            #expect(errorPath == path)
            #expect(reason.contains("small_cnn") && reason.contains("mobilenetv2"))
            #expect(String(describing: error).hasPrefix(path))
            guard case let .failed(statusReason) = ModelStatus(entry: other, registry: registry) else {
                Issue.record("expected .failed status")
                return
            }
            #expect(statusReason.contains(path))
        }
    }

    @Test("A truncated weights file fails its status and throws on load")
    func truncatedWeights() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory))
            let entry = try registry.entry("small_cnn")
            try registry.writeRandomWeights(for: entry)
            let url = registry.weightsURL(entry)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(size / 2))
            try handle.close()

            guard case let .failed(reason) = ModelStatus(entry: entry, registry: registry) else {
                Issue.record("expected .failed, got \(ModelStatus(entry: entry, registry: registry))")
                return
            }
            #expect(reason.contains(url.path))
            let error = try #require(throws: CheckpointError.self) { try Classifier(entry: entry, registry: registry) }
            #expect(error.path == url.path)
        }
    }

    @Test("An entry with three classes gets three-class weights and a three-output classifier")
    func threeClasses() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory, extraEntries: """
                {"key": "three", "architecture": "small_cnn", "weights": "three.safetensors", "classes": ["x", "y", "z"], "input_size": 96}
                """))
            let three = try registry.entry("three")
            try registry.writeRandomWeights(for: three)
            let classifier = try Classifier(entry: three, registry: registry)
            #expect(classifier.classes == ["x", "y", "z"] && classifier.inputSize == 96)
            let prediction = try #require(try classifier.classify([gradientImage(width: 50, height: 70)]).first)
            #expect(prediction.probabilities.count == 3)
            #expect(abs(prediction.probabilities.reduce(0, +) - 1) <= 1e-5)

            // The four-class small CNN's weights do not fit an entry that asks for three classes.
            try registry.writeRandomWeights(for: registry.entry("small_cnn"))
            var narrowed = try registry.entry("small_cnn")
            narrowed.classes = ["x", "y", "z"]
            #expect(throws: CheckpointError.self) { try Classifier(entry: narrowed, registry: registry) }
        }
    }

    @Test("An entry's precision (bf16, int8) builds its network in it where the CPU can, else fp32 with a note; answers stay close")
    func precisionFromTheEntry() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory, extraEntries: """
                {"key": "m", "architecture": "mobilenetv2", "weights": "m.safetensors", "input_size": 96},
                {"key": "m16", "architecture": "mobilenetv2", "weights": "m.safetensors", "input_size": 96, "precision": "bf16"},
                {"key": "m8", "architecture": "mobilenetv2", "weights": "m.safetensors", "input_size": 96, "precision": "int8"}
                """))
            try registry.writeRandomWeights(for: registry.entry("m"))
            let image = gradientImage(width: 120, height: 90)
            let reference = try Classifier(entry: registry.entry("m"), registry: registry)
            #expect(String(describing: reference.precision) == "fp32" && reference.precisionNote == nil)
            let expected = try reference.classify([image])[0].probabilities
            for key in ["m16", "m8"] {
                let entry = try registry.entry(key)
                let classifier = try Classifier(entry: entry, registry: registry)
                // Either it runs in the precision asked for, or in fp32 and says why.
                let asked = String(describing: entry.precision!)
                #expect((String(describing: classifier.precision) == asked) == (classifier.precisionNote == nil), "\(key)")
                #expect(String(describing: classifier.precision) == asked || String(describing: classifier.precision) == "fp32")
                let got = try classifier.classify([image])[0].probabilities
                #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 0.1 }, "\(key): \(got) against fp32 \(expected)")
            }
        }
    }

    @Test("Without registry overrides the classifier takes its settings from the weights' metadata")
    func metadataFallback() throws {
        try withTemporaryDirectory { directory in
            // Written with input size 128; the bare entry that reads it does not say so.
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory, extraEntries: """
                {"key": "sized", "architecture": "small_cnn", "weights": "weights/small_cnn.safetensors", "input_size": 128, "resize": "nearest"}
                """))
            try registry.writeRandomWeights(for: registry.entry("sized"))
            let classifier = try Classifier(entry: registry.entry("small_cnn"), registry: registry)
            #expect(classifier.inputSize == 128 && classifier.input.resize == .nearest && classifier.classes == ecgClasses)
        }
    }

    @Test("A crop box in the weights' metadata crops every image before resizing; the registry's overrides it")
    func cropToTrace() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory, extraEntries: """
                {"key": "cropped", "architecture": "small_cnn", "weights": "weights/small_cnn.safetensors",
                 "input_size": 64, "crop": {"left": 0.25, "top": 0.1, "right": 0.75, "bottom": 0.9}}
                """))
            try registry.writeRandomWeights(for: registry.entry("cropped"))
            let page = gradientImage(width: 200, height: 120)
            let box = try #require(CropBox(left: 0.25, top: 0.1, right: 0.75, bottom: 0.9))
            #expect(box.pixelRectangle(width: 200, height: 120) == (50, 12, 100, 96))

            // The bare entry reads the crop from the file's metadata.
            let fromMetadata = try Classifier(entry: registry.entry("small_cnn"), registry: registry)
            #expect(fromMetadata.input.crop == box)
            var whole = try registry.entry("small_cnn")
            whole.crop = CropBox(left: 0, top: 0, right: 1, bottom: 1)
            let uncropped = try Classifier(entry: whole, registry: registry)
            let cropped = try fromMetadata.classify([page])[0].probabilities
            #expect(cropped == (try uncropped.classify([page.cropped(to: box)])[0].probabilities))
            #expect(cropped != (try uncropped.classify([page])[0].probabilities))
        }
    }

    @Test("Crop boxes parse from text and JSON, and refuse empty or out-of-page rectangles")
    func cropBoxParsing() throws {
        #expect(CropBox("0.03, 0.18, 0.98, 0.96") == CropBox.ecgTrace)
        #expect(CropBox(CropBox.ecgTrace.description) == CropBox.ecgTrace)
        for bad in ["0.5,0.1,0.5,0.9", "0,0,1.2,1", "-0.1,0,1,1", "0,0,1", "a,b,c,d"] {
            #expect(CropBox(bad) == nil, "\(bad)")
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CropBox.self, from: Data(#"{"left": 0.9, "top": 0, "right": 0.1, "bottom": 1}"#.utf8))
        }
    }
}
