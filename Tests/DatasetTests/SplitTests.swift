import Datasets
import Foundation
import ImageIO
import Testing

@Suite("Leakage-safe splits and audits")
struct SplitTests {
    /// Three classes of synthetic pages: distinct pages, some also stored as an identical copy, a
    /// JPEG re-encoding or a one-pixel edit (the near duplicates).
    static func makeSource() throws -> URL {
        let root = try SyntheticPages.temporaryFolder("split-source")
        var seed: UInt64 = 100
        for (name, distinct) in [("Alpha", 24), ("Beta", 12), ("Gamma", 8)] {
            for index in 0..<distinct {
                seed += 1
                let page = SyntheticPages.page(seed: seed)
                let png = try ImageEncoder.png(page)
                try SyntheticPages.write(png, to: root, name, "\(index).png")
                switch index % 4 {
                case 0: try SyntheticPages.write(png, to: root, name, "\(index)-copy.png")
                case 1: try SyntheticPages.write(try ImageEncoder.jpeg(page, quality: 80), to: root, name, "\(index)-reencoded.jpg")
                case 2: try SyntheticPages.write(try ImageEncoder.png(SyntheticPages.touched(page)), to: root, name, "\(index)-touched.png")
                default: break
                }
            }
        }
        return root
    }

    static func plan(_ root: URL, seed: UInt64 = 0, manifest: (path: String, column: String, values: [String: String])? = nil)
        throws -> DatasetSplit {
        let folder = try ImageFolder(directory: root)
        let prints = try ImageFingerprint.compute(folder.files.map(\.url))
        return DatasetSplit(folder: folder, fingerprints: prints, fractions: SplitFractions(validation: 0.25, test: 0.25)!,
                            seed: seed, manifest: manifest)
    }

    @Test("every copy of an image lands in one split, and each class is split by the fractions")
    func duplicatesStayTogether() throws {
        let root = try Self.makeSource()
        defer { try? FileManager.default.removeItem(at: root) }
        let split = try Self.plan(root)
        #expect(split.files.count == 44 + 33)
        #expect(split.imageCount == 44)
        #expect(split.identicalFiles == 11)
        #expect(split.nearPairs.count == 22)
        for image in Set(split.files.map(\.image)) {
            #expect(Set(split.files.filter { $0.image == image }.map(\.split)).count == 1)
        }
        for (name, distinct) in [("Alpha", 24), ("Beta", 12), ("Gamma", 8)] {
            for part in SplitName.allCases {
                let images = split.counts[part.rawValue]![name]!.images
                let target = Double(distinct) * split.fractions[part]
                #expect(abs(Double(images) - target) <= 1, "\(name) \(part): \(images) images, target \(target)")
            }
        }
    }

    @Test("the same seed gives the same split; another seed another one")
    func deterministic() throws {
        let root = try Self.makeSource()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try Self.plan(root, seed: 3)
        #expect(try Self.plan(root, seed: 3) == first)
        #expect(try Self.plan(root, seed: 4).files.map(\.split) != first.files.map(\.split))
    }

    @Test("files sharing a manifest value stay together, across classes too")
    func manifestGroups() throws {
        let root = try Self.makeSource()
        defer { try? FileManager.default.removeItem(at: root) }
        let csv = """
            cls,file,header_id
            Alpha,0.png,p1
            Beta,0.png,p1
            Gamma,"3.png",p1
            Gamma,4.png,
            Gamma,5.png,
            """
        let values = try Manifest(csv: csv).values(of: "header_id")
        #expect(values["Gamma/3.png"] == "p1")
        for seed: UInt64 in 0..<5 {
            let split = try Self.plan(root, seed: seed, manifest: ("m.csv", "header_id", values))
            let joined = split.files.filter { ["Alpha/0.png", "Alpha/0-copy.png", "Beta/0.png", "Beta/0-copy.png", "Gamma/3.png"].contains($0.path) }
            #expect(joined.count == 5)
            #expect(Set(joined.map(\.split)).count == 1)
            #expect(Set(joined.map(\.group)).count == 1)
            #expect(split.groupCount == 44 - 2)  // empty values join nothing
        }
    }

    @Test("a manifest without the column, or with a ragged row, is a clear error")
    func manifestErrors() {
        #expect(throws: DatasetError.badManifest("m.csv", reason: "it has no column header_id (columns: cls, file)")) {
            try Manifest(csv: "cls,file\nA,1.png\n").values(of: "header_id", path: "m.csv")
        }
        #expect(throws: DatasetError.badManifest("manifest", reason: "row 3 has 1 fields, the header 2")) {
            try Manifest(csv: "cls,file\nA,1.png\nB\n")
        }
        #expect(throws: DatasetError.badManifest("manifest", reason: "a quoted field is not closed")) {
            try Manifest(csv: "cls,file\nA,\"1.png\n")
        }
    }

    @Test("writing links every file into its split, leaves the sources alone, and refuses to overwrite")
    func writesFolders() throws {
        let root = try Self.makeSource()
        let out = try SyntheticPages.temporaryFolder("split-out")
        defer { for url in [root, out] { try? FileManager.default.removeItem(at: url) } }
        let split = try Self.plan(root)
        try split.write(to: out)
        let manager = FileManager.default
        for file in split.files {
            let linked = out.appendingPathComponent("\(file.split.rawValue)/\(file.path)")
            #expect(try manager.destinationOfSymbolicLink(atPath: linked.path) == root.appendingPathComponent(file.path).path)
        }
        #expect(try ImageFolder(directory: out.appendingPathComponent("test")).files.count == split.files(in: .test).count)
        let record = try JSONDecoder().decode(DatasetSplit.self, from: Data(contentsOf: out.appendingPathComponent("split.json")))
        #expect(record == split)
        #expect(throws: DatasetError.outputExists(out.appendingPathComponent("train").path)) { try split.write(to: out) }
        try split.write(to: out, link: .copy, replacing: true)
        let copied = out.appendingPathComponent("train/\(split.files(in: .train)[0].path)")
        #expect((try? manager.destinationOfSymbolicLink(atPath: copied.path)) == nil)
        #expect(try Data(contentsOf: copied) == Data(contentsOf: root.appendingPathComponent(split.files(in: .train)[0].path)))
        #expect(try ImageFolder(directory: root).files.count == 77)
    }

    @Test("the audit finds no leak in a written split, and finds one planted across splits")
    func audit() throws {
        let root = try Self.makeSource()
        let out = try SyntheticPages.temporaryFolder("audit")
        defer { for url in [root, out] { try? FileManager.default.removeItem(at: url) } }
        let split = try Self.plan(root)
        try split.write(to: out, link: .copy)

        let clean = try audit(out)
        #expect(clean.splits == ["train", "validation", "test"])
        #expect(clean.crossSplit.isEmpty)
        #expect(clean.duplicates.count == 33)
        #expect(clean.duplicates.filter(\.near).count == 22)
        #expect(clean.counts.first { $0.split == "test" && $0.className == "Beta" }?.images == split.counts["test"]!["Beta"]!.images)

        let leaked = split.files(in: .train).first { $0.path.hasSuffix("-reencoded.jpg") }!
        try FileManager.default.copyItem(at: root.appendingPathComponent(leaked.path),
                                         to: out.appendingPathComponent("test/\(leaked.className)/leak.jpg"))
        let leaky = try audit(out)
        #expect(leaky.crossSplit.count == 1)
        #expect(leaky.crossSplit.first?.splits == ["train", "test"])
        #expect(leaky.crossSplit.first?.files.contains("test/\(leaked.className)/leak.jpg") == true)

        let whole = try audit(root)
        #expect(whole.splits == ["."])
        #expect(whole.imageCount == 44)
        #expect(whole.crossClass.isEmpty)
    }

    private func audit(_ root: URL) throws -> DatasetAudit {
        let splits = try DatasetAudit.splits(of: root)
        return DatasetAudit(root: root, splits: splits, fingerprints: try ImageFingerprint.compute(splits.flatMap { $0.folder.files.map(\.url) }))
    }
}
