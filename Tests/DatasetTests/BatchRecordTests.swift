import Datasets
import Foundation
import Testing

/// The pieces of batch scoring below the command line: shards, records, and result files.
@Suite("Batch manifests, records and result files")
struct BatchRecordTests {
    @Test("Shards are disjoint, cover the manifest, and are balanced", arguments: [1, 2, 3, 7, 16])
    func shardsPartition(_ count: Int) throws {
        let manifest = BatchManifest(files: (0..<101).map { "page-\($0).png" }.shuffled())
        let parts = try (0..<count).map { try manifest.files(in: Shard(index: $0, count: count)) }
        #expect(parts.flatMap { $0 }.sorted() == manifest.files)
        #expect(Set(parts.flatMap { $0 }).count == 101)
        let sizes = parts.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
    }

    @Test("I/N parses only valid shards")
    func shardParsing() {
        #expect(Shard("2/8") == (try? Shard(index: 2, count: 8)))
        for text in ["8/8", "-1/4", "1/0", "1", "a/b", "1/2/3", ""] { #expect(Shard(text) == nil, "\(text)") }
    }

    @Test("A record survives JSON lines and CSV, awkward file names included")
    func roundTrips() throws {
        let classes = ["A", "B"]
        let ok = BatchRecord(file: "dir, \"quoted\"/page.png", model: "m", trained: true, status: .ok, prediction: "B",
                             classes: classes, probabilities: [0.25, 0.75], decodeMilliseconds: 1.5,
                             preprocessMilliseconds: 2, inferenceMilliseconds: 3.25)
        let failed = BatchRecord(file: "x.png", model: "m", trained: true, status: .error, error: "not a JPEG or PNG, line\nbreak")
        try withTemporaryFolder { folder in
            for format in BatchFormat.allCases {
                let path = folder.appendingPathComponent("out.\(format.rawValue)").path
                let writer = try BatchResultsWriter(path: path, format: format, classes: classes)
                try writer.append(ok)
                try writer.append(failed)
                #expect(try BatchResults.read(path, format: format) == [ok, failed], "\(format)")
            }
        }
    }

    @Test("A torn last line is cut off on repair; a corrupt complete line is an error naming the file")
    func tornLines() throws {
        let record = BatchRecord(file: "a.png", model: "m", trained: false, status: .error, error: "e")
        try withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("out.jsonl").path
            try Data((record.jsonLine() + "\n{\"file\": \"b.p").utf8).write(to: URL(fileURLWithPath: path))
            #expect(try BatchResults.read(path, format: .jsonl) == [record])
            #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("b.p"), "read without repair changed the file")
            #expect(try BatchResults.read(path, format: .jsonl, repair: true) == [record])
            #expect(try String(contentsOfFile: path, encoding: .utf8) == record.jsonLine() + "\n")

            try Data("not json\n\(record.jsonLine())\n".utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: DatasetError.badManifest(path, reason: "line 1 is not a batch result record")) {
                try BatchResults.read(path, format: .jsonl)
            }
        }
    }

    @Test("Merging keeps one record per file, a success over a failure, and reports files scored twice")
    func merging() {
        func record(_ file: String, _ status: BatchRecord.Status) -> BatchRecord {
            BatchRecord(file: file, model: "m", trained: true, status: status)
        }
        let (merged, twice) = BatchResults.merge([
            record("b", .error), record("a", .ok), record("b", .ok), record("c", .ok), record("c", .ok), record("d", .error),
        ])
        #expect(merged.map(\.file) == ["a", "b", "c", "d"])
        #expect(merged.map(\.status) == [.ok, .ok, .ok, .error])
        #expect(twice == ["c"])
    }
}

/// Runs `body` with a fresh folder, deleted afterwards.
private func withTemporaryFolder(_ body: (URL) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("BatchRecordTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try body(folder)
}
