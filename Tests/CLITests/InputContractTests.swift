import Checkpoints
import Foundation
import ImageIO
import Inference
import Models
import Testing

/// The typed input contract: carried as JSON in weights metadata, older string keys still read,
/// and resolved in one order (registry entry, then weights metadata, then the architecture's default).
@Suite("Input contract")
struct InputContractTests {
    static let classes = #"["a","b"]"#

    @Test("Metadata carries the contract as one input_spec JSON value and reads it back")
    func writesInputSpec() throws {
        let input = InputSpec(inputSize: 64, resize: .bilinear, preprocessing: .imagenet, crop: .ecgTrace)
        let metadata = WeightsMetadata(architecture: .vgg16, classes: ["a", "b"], input: input, provenance: "test", trained: true)
        let strings = metadata.dictionary
        #expect(strings["format"] == "ecglens/2")
        #expect(strings["input_size"] == nil && strings["preprocessing"] == nil && strings["resize"] == nil && strings["crop"] == nil)
        let spec = try #require(strings["input_spec"])
        #expect(spec == #"{"crop":{"bottom":0.96,"left":0.03,"right":0.98,"top":0.18},"input_size":64,"preprocessing":"imagenet","resize":"bilinear"}"#)
        #expect(try WeightsMetadata(metadata: strings, path: "w.safetensors") == metadata)
    }

    @Test("Files written before input_spec are read from their string keys, missing ones defaulting to the architecture's")
    func readsLegacyKeys() throws {
        let old = try WeightsMetadata(metadata: [
            "format": "ecglens/1", "architecture": "small_cnn", "classes": Self.classes, "input_size": "128",
            "preprocessing": "standard", "resize": "nearest", "crop": "0.03,0.18,0.98,0.96",
        ], path: "old.safetensors")
        #expect(old.input == InputSpec(inputSize: 128, resize: .nearest, preprocessing: .standard, crop: .ecgTrace))
        let bare = try WeightsMetadata(metadata: ["architecture": "inceptionv3", "classes": Self.classes], path: "bare.safetensors")
        #expect(bare.input == Architecture.inceptionV3.defaultInputSpec)
        #expect(bare.input == InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .imagenet))
    }

    @Test("A contract that does not parse is an error naming the file, not a silent default",
          arguments: [["input_size": "0"], ["input_size": "big"], ["preprocessing": "zscore"], ["resize": "lanczos"],
                      ["crop": "0.5,0.5,0.4,0.9"], ["input_spec": #"{"input_size":64}"#],
                      ["input_spec": #"{"input_size":99999,"preprocessing":"rescale","resize":"bicubic"}"#]])
    func rejectsBadContracts(_ bad: [String: String]) throws {
        let strings = ["architecture": "small_cnn", "classes": Self.classes].merging(bad) { $1 }
        #expect {
            try WeightsMetadata(metadata: strings, path: "bad.safetensors")
        } throws: { error in
            String(describing: error).contains("bad.safetensors")
        }
    }

    @Test("The committed weights, written before input_spec, keep their contracts")
    func committedWeights() throws {
        let small = try WeightsMetadata(file: SafetensorsFile(
            contentsOf: repositoryRoot.appendingPathComponent("models/trained/small_cnn.safetensors")))
        #expect(small.input == InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .standard, crop: .ecgTrace))
        let mobile = try WeightsMetadata(file: SafetensorsFile(
            contentsOf: repositoryRoot.appendingPathComponent("models/trained/mobilenetv2.safetensors")))
        #expect(mobile.input == InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard))
        // The committed registry's classifier uses the same contract (its entry repeats it).
        let registry = try ModelRegistry(contentsOf: repositoryRoot.appendingPathComponent("models/models.json"))
        #expect(try Classifier(entry: registry.entry("small_cnn"), registry: registry).input == small.input)
    }

    @Test("Resolution: each field from the entry, else the weights' metadata, else the architecture's default")
    func resolutionOrder() throws {
        let metadata = WeightsMetadata(
            architecture: .mobileNetV2, classes: ["a", "b"],
            input: InputSpec(inputSize: 96, resize: .bilinear, preprocessing: .imagenet, crop: .ecgTrace), provenance: "t", trained: true)
        var entry = ModelEntry(key: "m", architecture: .mobileNetV2, weights: "m.safetensors")
        #expect(entry.inputSpec(metadata: nil) == Architecture.mobileNetV2.defaultInputSpec)
        #expect(entry.inputSpec(metadata: metadata) == metadata.input)
        entry.inputSize = 128
        entry.preprocessing = .standard
        #expect(entry.inputSpec(metadata: metadata)
            == InputSpec(inputSize: 128, resize: .bilinear, preprocessing: .standard, crop: .ecgTrace))
        #expect(entry.inputSpec(metadata: nil) == InputSpec(inputSize: 128, resize: .bicubic, preprocessing: .standard))
    }

    @Test("Random weights record the entry's contract, and the classifier built on them uses it")
    func randomWeightsRecordTheContract() throws {
        try withTemporaryDirectory { directory in
            var entry = ModelEntry(key: "s", architecture: .smallCNN, weights: "s.safetensors")
            entry.inputSize = 48
            entry.resize = .nearest
            entry.crop = .ecgTrace
            let registry = try ModelRegistry(entries: [entry], baseDirectory: directory)
            try registry.writeRandomWeights(for: entry)
            let metadata = try WeightsMetadata(file: SafetensorsFile(contentsOf: registry.weightsURL(entry)))
            let expected = InputSpec(inputSize: 48, resize: .nearest, preprocessing: .rescale, crop: .ecgTrace)
            #expect(metadata.input == expected)
            let bare = try ModelRegistry(entries: [ModelEntry(key: "s", architecture: .smallCNN, weights: "s.safetensors")],
                                         baseDirectory: directory)
            #expect(try Classifier(entry: bare.entry("s"), registry: bare).input == expected)
            #expect(ResolvedModel(entry: try bare.entry("s"), registry: bare).input == expected)
        }
    }

    @Test("decode_ratio travels in input_spec and from a registry entry; files without it decode at full size")
    func decodeRatio() throws {
        let input = InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard, decodeRatio: 2)
        let metadata = WeightsMetadata(architecture: .mobileNetV2, classes: ["a", "b"], input: input, provenance: "test", trained: true)
        #expect(metadata.dictionary["input_spec"] == #"{"decode_ratio":2,"input_size":224,"preprocessing":"standard","resize":"bicubic"}"#)
        #expect(try WeightsMetadata(metadata: metadata.dictionary, path: "w.safetensors").input == input)
        let old = try WeightsMetadata(metadata: ["architecture": "mobilenetv2", "classes": Self.classes,
                                                 "input_spec": #"{"input_size":224,"preprocessing":"standard","resize":"bicubic"}"#],
                                      path: "old.safetensors")
        #expect(old.input.decodeRatio == nil)
        var entry = ModelEntry(key: "m", architecture: .mobileNetV2, weights: "m.safetensors")
        entry.decodeRatio = 2
        #expect(entry.inputSpec(metadata: old) == input)
    }

    @Test("A model with a trace head refuses decode_ratio: its digitiser reads the full-size page")
    func fusedModelKeepsFullDecoding() throws {
        let committed = try ModelRegistry(contentsOf: repositoryRoot.appendingPathComponent("models/models.json"))
        var entry = try committed.entry("ecglens")
        entry.decodeRatio = 2
        let registry = try ModelRegistry(entries: [entry], baseDirectory: committed.baseDirectory)
        #expect { try Classifier(entry: entry, registry: registry, loadingNovelty: false) } throws: {
            String(describing: $0).contains("decode_ratio")
        }
    }

    @Test("A registry entry with an impossible input size is refused when the registry is read")
    func registryRejectsBadInputSize() throws {
        try withTemporaryDirectory { directory in
            let url = try write(#"{"models": [{"key": "s", "architecture": "small_cnn", "weights": "s.safetensors", "input_size": 0}]}"#,
                                to: "models.json", in: directory)
            #expect { try ModelRegistry(contentsOf: url) } throws: { String(describing: $0).contains("input_size 0") }
            let ratio = try write(#"{"models": [{"key": "s", "architecture": "small_cnn", "weights": "s.safetensors", "decode_ratio": 0.5}]}"#,
                                  to: "ratio.json", in: directory)
            #expect { try ModelRegistry(contentsOf: ratio) } throws: { String(describing: $0).contains("decode_ratio 0.5") }
        }
    }
}

/// Batch scoring (prepared pages) answers as `classify` does, calibration included.
@Suite("Prepared classification")
struct PreparedClassificationTests {
    @Test("classify(prepared:) gives classify's calibrated probabilities")
    func preparedMatchesClassify() throws {
        try withTemporaryDirectory { directory in
            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(in: directory))
            let entry = try registry.entry("small_cnn")
            try registry.writeRandomWeights(for: entry, seed: 9)
            var classifier = try Classifier(entry: entry, registry: registry)
            let images = (0..<2).map { gradientImage(width: 200, height: 150, phase: 90 * $0) }
            let uncalibrated = try classifier.classify(images).map(\.probabilities)
            classifier.temperature = 3
            let direct = try classifier.classify(images).map(\.probabilities)
            let prepared = try classifier.classify(prepared: images.map(classifier.prepare)).map(\.probabilities)
            #expect(prepared == direct)
            #expect(direct != uncalibrated)
        }
    }
}
