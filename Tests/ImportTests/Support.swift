import Foundation

/// Test files: the committed fixtures, and the shared pretrained checkpoint when it is there.
enum Fixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// `../shared/pretrained/NAME` from the repository root, or nil (the test then skips).
    static func shared(_ relative: String) -> URL? {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let candidate = url.deletingLastPathComponent().appendingPathComponent("shared/\(relative)")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }
}
