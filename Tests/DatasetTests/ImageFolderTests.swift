import Datasets
import Foundation
import Testing

@Suite("Image folders")
struct ImageFolderTests {
    /// Makes `root/<class>/<file>` for each pair, with a few bytes in each file.
    func makeFolder(_ layout: [(String, String)]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ecg-folder-\(UUID().uuidString)")
        for (folder, file) in layout {
            let directory = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data([1, 2, 3]).write(to: directory.appendingPathComponent(file))
        }
        return root
    }

    @Test("classes are the sorted sub-folders; only images count, sorted by name")
    func listsImages() throws {
        let root = try makeFolder([("Normal", "b.png"), ("Normal", "a.JPG"), ("Abnormal", "x.jpeg"),
                                   ("Abnormal", "notes.txt"), ("Abnormal", ".hidden.png")])
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try ImageFolder(directory: root)
        #expect(folder.classes == ["Abnormal", "Normal"])
        #expect(folder.files.map(\.url.lastPathComponent) == ["x.jpeg", "a.JPG", "b.png"])
        #expect(folder.files.map(\.label) == [0, 1, 1])
        #expect(folder.classCounts == [1, 2])
    }

    @Test("given classes set the label order; a missing class folder is an error")
    func givenClasses() throws {
        let root = try makeFolder([("Normal", "a.png"), ("Abnormal", "b.png")])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try ImageFolder(directory: root, classes: ["Normal", "Abnormal"]).files.map(\.label) == [0, 1])
        #expect(throws: DatasetError.missingClass("Other", folder: root.path)) {
            try ImageFolder(directory: root, classes: ["Normal", "Other"])
        }
    }

    @Test("a missing or empty folder is an error")
    func emptyFolders() throws {
        let root = try makeFolder([("Normal", "notes.txt")])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: DatasetError.empty(root.path)) { try ImageFolder(directory: root) }
        let missing = root.appendingPathComponent("nothing")
        #expect(throws: DatasetError.notAFolder(missing.path)) { try ImageFolder(directory: missing) }
    }

    @Test("distinctFiles keeps the first file of each content, by class then name")
    func distinctFiles() throws {
        let root = try makeFolder([("Abnormal", "a.png"), ("Abnormal", "b.png"), ("Normal", "c.png")])
        defer { try? FileManager.default.removeItem(at: root) }
        try Data([9]).write(to: root.appendingPathComponent("Normal/c.png"))
        try Data([9]).write(to: root.appendingPathComponent("Normal/d.png"))
        let folder = try ImageFolder(directory: root)
        let distinct = try folder.distinctFiles()
        // a and b hold the same bytes, as do c and d.
        #expect(distinct.files.map(\.url.lastPathComponent) == ["a.png", "c.png"])
        #expect(distinct.classCounts == [1, 1])
        try FileManager.default.removeItem(at: root.appendingPathComponent("Normal/d.png"))
        #expect(throws: DatasetError.self) { try folder.distinctFiles() }  // a listed file has gone
    }
}
