import Datasets
import Foundation
import ImageIO
import Testing

/// Checks on the shared real data set (`../shared/data/ecg-khan-2021`), opt-in with
/// `ECG_REAL_DATA=1` because hashing and decoding 743 pages takes tens of seconds.
enum RealData {
    /// The shared data set, when `ECG_REAL_DATA=1` and it is there.
    static let folder: URL? = {
        guard ProcessInfo.processInfo.environment["ECG_REAL_DATA"] == "1" else { return nil }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/ecg-khan-2021")
            .standardizedFileURL
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("manifest.csv").path) ? url : nil
    }()
}

@Suite("Real data (ECG_REAL_DATA=1)", .enabled(if: RealData.folder != nil))
struct RealDataTests {

    @Test("the split finds the manifest's 393 distinct images and keeps each dup_group and header_id on one side")
    func split() throws {
        let root = try #require(RealData.folder)
        let folder = try ImageFolder(directory: root)
        let manifest = try Manifest(contentsOf: root.appendingPathComponent("manifest.csv"))
        let headers = try manifest.values(of: "header_id")
        let duplicateGroups = try manifest.values(of: "dup_group")
        let split = DatasetSplit(folder: folder, fingerprints: try ImageFingerprint.compute(folder.files.map(\.url)),
                                 fractions: SplitFractions(validation: 0.15, test: 0.2)!, seed: 0,
                                 manifest: ("manifest.csv", "header_id", headers))
        #expect(split.imageCount == 393)
        #expect(split.nearPairs.isEmpty)
        for values in [duplicateGroups, headers] {
            var sides: [String: Set<SplitName>] = [:]
            for file in split.files where !(values[file.path] ?? "").isEmpty { sides[values[file.path]!, default: []].insert(file.split) }
            #expect(sides.values.allSatisfy { $0.count == 1 })
        }
        // The images each dup_group names are exactly the images the hashes find.
        #expect(Set(split.files.map { "\(duplicateGroups[$0.path]!)=\($0.image)" }).count == 393)
    }

    @Test("loading: the first epoch decodes, later ones augment from the cache (timings printed)")
    func loaderThroughput() throws {
        let root = try #require(RealData.folder)
        let files = Array(try ImageFolder(directory: root).files.prefix(128))
        let transform = InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .rescale, crop: .ecgTrace)
        for augmentation in [Augmentation.none, .ecg] {
            let loader = BatchLoader(files: files, transform: transform, augmentation: augmentation, batchSize: 32)
            for epoch in 0..<2 {
                let start = Date()
                var count = 0
                try loader.forEachBatch(epoch: epoch) { count += $0.files.count }
                let seconds = Date().timeIntervalSince(start)
                print(String(format: "augmentation %@, epoch %d: %d images in %.2f s (%.0f images/s)",
                             augmentation.isIdentity ? "none" : "ecg", epoch, count, seconds, Double(count) / seconds))
                #expect(count == files.count)
            }
        }
    }
}
