import Evaluation
import Foundation
import Testing
import Training

@Suite("Fusing feature caches and heads")
struct FusionTests {
    @Test("Early fusion joins two caches' columns row by row, keeps files and labels, and refuses other files")
    func concatenation() throws {
        let (cache, _, _) = try HeadCrossValidationTests.memorisableCache()
        let trace = FeatureCache.Source(method: "digitise", version: "v", featureNames: ["a", "b"], label: "trace measurements", data: "synthetic")
        let n = cache.files.count
        let extra = (0..<(2 * n)).map { Float($0) }
        let other = FeatureCache(files: cache.files, labels: cache.labels, classes: cache.classes, fingerprints: cache.fingerprints,
                                 source: trace, channels: 2, average: extra, maximum: extra)
        let fused = try cache.concatenated(with: other)
        #expect(fused.channels == cache.channels + 2 && fused.files == cache.files && fused.labels == cache.labels)
        for row in [0, 7, n - 1] {
            #expect(fused.features(row, pooling: .average) == cache.features(row, pooling: .average) + [Float(2 * row), Float(2 * row + 1)])
            #expect(fused.features(row, pooling: .maximum) == cache.features(row, pooling: .maximum) + [Float(2 * row), Float(2 * row + 1)])
        }
        #expect(fused.source.architecture == "mobilenetv2+digitise")
        #expect(fused.source.summary == "224 px whole page + trace measurements")

        let shuffled = FeatureCache(files: cache.files.reversed(), labels: cache.labels.reversed(), classes: cache.classes,
                                    fingerprints: cache.fingerprints, source: trace, channels: 2, average: extra, maximum: extra)
        #expect(throws: FeatureCacheError.self) { try cache.concatenated(with: shuffled) }
    }

    @Test("Late fusion: weight 1 or 0 gives one head's probabilities; 0.5 their normalised geometric mean")
    func lateFusion() {
        let a = [ImageResult(file: "A/1.png", label: 0, probabilities: [0.8, 0.2], image: 0),
                 ImageResult(file: "B/2.png", label: 1, probabilities: [0.6, 0.4], image: 1)]
        let b = [ImageResult(file: "A/1.png", label: 0, probabilities: [0.5, 0.5], image: 0),
                 ImageResult(file: "B/2.png", label: 1, probabilities: [0.1, 0.9], image: 1)]
        func close(_ x: [Float], _ y: [Float]) -> Bool { zip(x, y).allSatisfy { abs($0 - $1) < 1e-5 } }
        #expect(zip(HeadCrossValidation.fuse(a, b, weight: 1), a).allSatisfy { close($0.probabilities, $1.probabilities) })
        #expect(zip(HeadCrossValidation.fuse(a, b, weight: 0), b).allSatisfy { close($0.probabilities, $1.probabilities) })
        let half = HeadCrossValidation.fuse(a, b, weight: 0.5)
        // sqrt(0.6 * 0.1) = 0.245 against sqrt(0.4 * 0.9) = 0.6: the second head's confidence wins the second image.
        let (g0, g1) = (Float((0.6 * 0.1).squareRoot()), Float((0.4 * 0.9).squareRoot()))
        #expect(close(half[1].probabilities, [g0 / (g0 + g1), g1 / (g0 + g1)]))
        #expect(half.map(\.file) == a.map(\.file) && half.map(\.label) == [0, 1] && half.map(\.image) == [0, 1])
    }

    @Test("--final-test's predictions: the test rows only, by a head that never saw their groups; a trace-measurement source round-trips")
    func heldOutTest() throws {
        let (cache, group, image) = try HeadCrossValidationTests.memorisableCache()
        // Groups 0-9 (both copies) are the test split; the rest train.
        let test = cache.files.indices.filter { group[$0] < 10 }, training = cache.files.indices.filter { group[$0] >= 10 }
        let results = HeadCrossValidation.heldOutTest(cache: cache, training: training, test: test, imageOfRow: image,
                                                      recipe: HeadRecipe(pooling: .average, l2: 0.01))
        #expect(results.map(\.file) == test.map { cache.files[$0] } && results.map(\.image) == test.map { image[$0] })
        #expect(results.allSatisfy { abs($0.probabilities.reduce(0, +) - 1) < 1e-5 })
        // One-hot group features: a head that saw none of the test groups gives them all one answer.
        #expect(Set(results.map(\.probabilities)).count == 1)

        let names = ["digitised", "heart_rate"]
        let source = FeatureCache.Source(method: "digitise", version: "trace-features/1", featureNames: names, label: "trace measurements", data: "d")
        let decoded = try JSONDecoder().decode(FeatureCache.Source.self, from: JSONEncoder().encode(source))
        #expect(decoded == source && decoded.featureNames == names && decoded.summary == "trace measurements")
    }
}
