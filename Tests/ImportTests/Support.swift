import Foundation

/// Test files: the committed fixtures, and the shared pretrained checkpoint when it is there.
enum Fixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// `../shared/pretrained/NAME` from the repository root, or nil (the test then skips).
    static func shared(_ relative: String) -> URL? {
        let candidate = repository.deletingLastPathComponent().appendingPathComponent("shared/\(relative)")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }
}

/// `Fixtures/goldens.json`: each fixture file's framework and the framework's probabilities on
/// the bundled sample page (tools/reference/make_import_fixtures.py).
struct Golden: Decodable {
    let architecture: String
    let inputSize: Int
    let preprocessing: String
    let resize: String
    let transformInput: Bool?
    let committed: Bool
    let probabilities: [Float]
    /// A checkpoint whose head does not fit the app's (an ImageNet layout): no probabilities,
    /// but the sum and first values of a few tensors.
    let backboneOnly: Bool?
    let checks: [String: Check]?

    struct Check: Decodable {
        let sum: Double
        let first: [Float]
    }

    enum CodingKeys: String, CodingKey {
        case architecture, preprocessing, resize, committed, probabilities, checks
        case inputSize = "input_size", transformInput = "transform_input", backboneOnly = "backbone_only"
    }

    static let all: [String: Golden] = {
        struct File: Decodable { let files: [String: Golden] }
        let data = try! Data(contentsOf: Fixtures.url("goldens.json"))
        return try! JSONDecoder().decode(File.self, from: data).files
    }()
}

extension Fixtures {
    /// The repository root.
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The sample page every golden was computed on.
    static let samplePage = repository.appendingPathComponent("samples/synthetic-ecg-page.png")

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ecg-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
