import Foundation
import Inference
import Models
import Testing

@Suite("Model registry")
struct RegistryTests {
    @Test("A valid registry parses, with the first entry as default and weights paths resolved")
    func validRegistry() throws {
        try withTemporaryDirectory { directory in
            let url = try write("""
                {"models": [
                  {"key": "small", "architecture": "small_cnn", "weights": "weights/small.safetensors",
                   "name": "Tiny", "input_size": 128, "preprocessing": "rescale", "resize": "bilinear",
                   "classes": ["a", "b", "c"], "transform_input": true, "description": "d"},
                  {"key": "vgg", "architecture": "vgg16", "weights": "/opt/ecg/vgg16.safetensors"}
                ]}
                """, to: "sub/models.json", in: directory)
            let registry = try ModelRegistry(contentsOf: url)
            #expect(registry.entries.map(\.key) == ["small", "vgg"])
            #expect(registry.defaultKey == "small")
            #expect(try registry.entry().key == "small")
            #expect(registry.baseDirectory.standardizedFileURL == url.deletingLastPathComponent().standardizedFileURL)

            let small = try registry.entry("small")
            #expect(small.architecture == .smallCNN)
            #expect(small.name == "Tiny" && small.inputSize == 128 && small.preprocessing == .rescale)
            #expect(small.resize == .bilinear && small.classes == ["a", "b", "c"] && small.transformInput == true)
            #expect(registry.weightsURL(small).path == directory.appendingPathComponent("sub/weights/small.safetensors").path)

            let vgg = try registry.entry("vgg")
            #expect(vgg.architecture == .vgg16 && vgg.name == nil && vgg.inputSize == nil && vgg.classes == nil)
            #expect(registry.weightsURL(vgg).path == "/opt/ecg/vgg16.safetensors")
        }
    }

    @Test("An explicit default is used when no key is named")
    func explicitDefault() throws {
        try withTemporaryDirectory { directory in
            let url = try smallCNNRegistry(in: directory, extraEntries: #"{"key": "m", "architecture": "mobilenetv2", "weights": "m.safetensors"}"#)
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: #"{"models""#, with: #"{"default": "m", "models""#)
            try write(text, to: "models.json", in: directory)
            let registry = try ModelRegistry(contentsOf: url)
            #expect(registry.defaultKey == "m")
            #expect(try registry.entry().architecture == .mobileNetV2)
        }
    }

    @Test("The committed models/models.json lists the four architectures and the fused ecglens model")
    func committedRegistry() throws {
        let registry = try ModelRegistry(contentsOf: repositoryRoot.appendingPathComponent("models/models.json"))
        #expect(Set(registry.entries.map(\.architecture)) == Set(Architecture.allCases))
        #expect(registry.entries.map(\.key) == ["ecglens", "small_cnn", "mobilenetv2", "inceptionv3", "vgg16"])
        #expect(registry.entries.map(\.key).contains(registry.defaultKey))
        for entry in registry.entries {
            #expect(entry.classes == nil || entry.classes == ecgClasses, "\(entry.key)")
            for url in [registry.weightsURL(entry)] + (registry.backboneURL(entry).map { [$0] } ?? []) {
                #expect(url.path.hasPrefix(repositoryRoot.appendingPathComponent("models").path))
            }
        }
        // ecglens reuses MobileNetV2's committed backbone instead of a second copy of it.
        #expect(try registry.entry("ecglens").backbone == registry.entry("mobilenetv2").weights)
    }

    @Test("A missing registry file is unreadable")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("nowhere.json")
            #expect(throws: RegistryError.unreadable(path: url.path)) { try ModelRegistry(contentsOf: url) }
        }
    }

    @Test("Malformed registries are invalid, and the message names the file", arguments: [
        ("not JSON", "{\"models\": ["),
        ("no models field", #"{"default": "x"}"#),
        ("an entry without weights", #"{"models": [{"key": "a", "architecture": "small_cnn"}]}"#),
        ("an unknown architecture", #"{"models": [{"key": "a", "architecture": "resnet50", "weights": "a"}]}"#),
        ("an empty model list", #"{"models": []}"#),
        ("an unknown precision", #"{"models": [{"key": "a", "architecture": "small_cnn", "weights": "a", "precision": "fp8"}]}"#),
        ("a repeated key", #"{"models": [{"key": "a", "architecture": "small_cnn", "weights": "a"}, {"key": "a", "architecture": "vgg16", "weights": "b"}]}"#),
    ])
    func invalid(_ what: String, _ json: String) throws {
        try withTemporaryDirectory { directory in
            let url = try write(json, to: "registry.json", in: directory)
            let error = try #require(throws: RegistryError.self) { try ModelRegistry(contentsOf: url) }
            guard case let .invalid(path, reason) = error else {
                Issue.record("\(what): expected .invalid, got \(error)")
                return
            }
            #expect(path == url.path, "\(what)")
            #expect(String(describing: error).hasPrefix("\(url.path): invalid model registry: "), "\(what)")
            #expect(!reason.isEmpty)
            if what == "a repeated key" { #expect(reason.contains("\"a\"")) }
            if what == "an entry without weights" { #expect(reason.contains("weights")) }
        }
    }

    @Test("An unknown default or key is an unknown model listing the known keys")
    func unknownModel() throws {
        try withTemporaryDirectory { directory in
            let bad = try write(#"{"default": "nope", "models": [{"key": "a", "architecture": "small_cnn", "weights": "a"}]}"#,
                                to: "bad.json", in: directory)
            #expect(throws: RegistryError.unknownModel("nope", known: ["a"])) { try ModelRegistry(contentsOf: bad) }

            let registry = try ModelRegistry(contentsOf: smallCNNRegistry(
                in: directory, extraEntries: #"{"key": "b", "architecture": "vgg16", "weights": "b"}"#))
            #expect(throws: RegistryError.unknownModel("zzz", known: ["small_cnn", "b"])) { try registry.entry("zzz") }
            #expect(String(describing: RegistryError.unknownModel("zzz", known: ["small_cnn", "b"]))
                == #"unknown model "zzz" (known: small_cnn, b)"#)
        }
    }
}
