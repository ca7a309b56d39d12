import Datasets
import Evaluation
import Foundation
import ImageIO
import Testing
import Training

@Suite("Cross-validated linear heads on cached features")
struct HeadCrossValidationTests {
    /// 40 groups of two files (one picture stored twice), two classes; each file's features are the
    /// one-hot code of its group: a head can only tell a group's files apart after seeing the group.
    static func memorisableCache() throws -> (cache: FeatureCache, group: [Int], image: [Int]) {
        let groups = 40
        var files: [String] = [], labels: [Int] = [], prints: [ImageFingerprint] = [], features: [Float] = []
        var group: [Int] = [], image: [Int] = []
        for g in 0..<groups {
            for copy in 0..<2 {
                let label = (g * 7) % 3 == 0 ? 1 : 0
                files.append("\(label == 0 ? "A" : "B")/\(g)-\(copy).png")
                labels.append(label)
                let pixels = (0..<48).map { UInt8(truncatingIfNeeded: $0 * (g + 1)) }
                prints.append(ImageFingerprint(fileBytes: Data(pixels), image: RGBImage(width: 4, height: 4, pixels: pixels)))
                features += (0..<groups).map { $0 == g ? 1 : 0 }
                group.append(g)
                image.append(g)
            }
        }
        let source = FeatureCache.Source(
            weights: "w.safetensors", weightsSHA256: "00", architecture: "mobilenetv2",
            transform: InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard), data: "synthetic")
        let cache = FeatureCache(files: files, labels: labels, classes: ["A", "B"], fingerprints: prints, source: source,
                                 channels: groups, average: features, maximum: features.map { $0 * 2 })
        return (cache, group, image)
    }

    @Test("every file is predicted once, by a head that never saw its group")
    func outOfFoldPredictions() throws {
        let (cache, group, image) = try Self.memorisableCache()
        let rows = Array(cache.files.indices)
        let folds = CrossValidationFolds(groupOfFile: group, imageOfFile: image, labelOfFile: cache.labels, classCount: 2, k: 5, seed: 1)
        let recipe = HeadRecipe(pooling: .average, l2: 0.01)
        let results = HeadCrossValidation.outOfFold(cache: cache, rows: rows, folds: folds, imageOfRow: image, recipe: recipe)
        #expect(results.map(\.file) == cache.files)
        #expect(results.map(\.label) == cache.labels)
        // A head that never saw a group sees the same (all-zero after its columns) features for all
        // held-out files: it gives them all one answer. Having seen them, it tells them apart.
        for fold in 0..<5 {
            let answers = Set(folds.heldOut(fold).map { results[$0].probabilities })
            #expect(answers.count == 1, "fold \(fold) held-out files told apart: the head saw them")
        }
        let inSample = recipe.fit(cache: cache, rows: rows, imageOfRow: image)
        #expect(rows.allSatisfy { row in
            let p = inSample.probabilities(cache.features(row, pooling: .average))
            return (p[1] > p[0] ? 1 : 0) == cache.labels[row]
        })
        let report = HeadCrossValidation.report(cache: cache, recipe: recipe, folds: folds, results: results,
                                                bootstrap: Bootstrap(resamples: 50), seconds: 0, notice: "test")
        #expect(report.imageCount == 40, "each distinct picture counted once")
    }

    @Test("a feature cache survives writing and reading, and a foreign file is refused by name")
    func cacheRoundTrip() throws {
        let (cache, _, _) = try Self.memorisableCache()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try cache.write(to: url)
        let read = try FeatureCache(contentsOf: url)
        #expect(read.files == cache.files && read.labels == cache.labels && read.classes == cache.classes)
        #expect(read.fingerprints == cache.fingerprints && read.source == cache.source)
        #expect(read.average == cache.average && read.maximum == cache.maximum)
        #expect(read.features(3, pooling: .both) == cache.features(3, pooling: .average) + cache.features(3, pooling: .maximum))

        let other = url.deletingLastPathComponent().appendingPathComponent("weights-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: other) }
        try SafetensorsLike.write(other)
        #expect { try FeatureCache(contentsOf: other) } throws: { error in
            String(describing: error).contains(other.path) && String(describing: error).contains("not a usable feature cache")
        }
    }
}

/// A safetensors file that is not a feature cache: a cache's bytes with the format tag overwritten.
private enum SafetensorsLike {
    static func write(_ url: URL) throws {
        try HeadCrossValidationTests.memorisableCache().cache.write(to: url)
        var bytes = try Data(contentsOf: url)
        let tag = Data(FeatureCache.format.utf8)
        let range = try #require(bytes.range(of: tag))
        bytes.replaceSubrange(range, with: Data(String(repeating: "x", count: tag.count).utf8))
        try bytes.write(to: url)
    }
}
