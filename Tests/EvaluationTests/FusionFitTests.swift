import Datasets
import Determinism
import Evaluation
import Foundation
import ImageIO
import Inference
import Testing
import Training

/// `ecg fit-fusion`'s fitting: two heads, their late fusion, and a temperature from out-of-fold
/// fused predictions.
@Suite("Fitting the fused image + trace model")
struct FusionFitTests {
    /// 120 pictures of 4 classes. The "image" features tell classes 0/1 from 2/3 and nothing more;
    /// the "trace" features tell 0/2 from 1/3: only the two together name the class.
    static func caches() -> (image: FeatureCache, trace: FeatureCache, groups: [Int]) {
        var files: [String] = [], labels: [Int] = [], prints: [ImageFingerprint] = []
        var image: [Float] = [], trace: [Float] = []
        var random = SplitMix64(seed: 3)
        for index in 0..<120 {
            let label = index % 4
            files.append("C\(label)/\(index).png")
            labels.append(label)
            let pixels = (0..<48).map { UInt8(truncatingIfNeeded: $0 * (index + 1) + index) }
            prints.append(ImageFingerprint(fileBytes: Data(pixels), image: RGBImage(width: 4, height: 4, pixels: pixels)))
            image += [Float(label / 2) * 2 + random.noise(), random.noise()]
            trace += [Float(label % 2) * 2 + random.noise(), random.noise(), random.noise()]
        }
        let imageSource = FeatureCache.Source(
            weights: "w.safetensors", weightsSHA256: "00", architecture: "mobilenetv2",
            transform: InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard), data: "synthetic")
        let traceSource = FeatureCache.Source(method: "digitise", version: "v", featureNames: ["a", "b", "c"], label: "trace", data: "synthetic")
        let classes = ["C0", "C1", "C2", "C3"]
        return (FeatureCache(files: files, labels: labels, classes: classes, fingerprints: prints, source: imageSource,
                             channels: 2, average: image, maximum: image),
                FeatureCache(files: files, labels: labels, classes: classes, fingerprints: prints, source: traceSource,
                             channels: 3, average: trace, maximum: trace),
                Array(0..<120))
    }

    @Test("each half alone tells only two class pairs apart; fused, the classes; the temperature is fitted out of fold")
    func fusionBeatsEitherHalf() throws {
        let (image, trace, groups) = Self.caches()
        let rows = Array(image.files.indices)
        let folds = CrossValidationFolds(groupOfFile: groups, imageOfFile: groups, labelOfFile: image.labels, classCount: 4, k: 5, seed: 0)
        let recipe = HeadRecipe(pooling: .average, l2: 0.1)
        let fit = FusionFit(image: image, trace: trace, rows: rows, folds: folds, imageOfRow: groups,
                            imageRecipe: recipe, traceRecipe: recipe, imageWeight: 0.5)
        func accuracy(_ results: [ImageResult]) -> Double {
            Double(results.filter { argmax($0.probabilities) == $0.label }.count) / Double(results.count)
        }
        let imageAlone = HeadCrossValidation.outOfFold(cache: image, rows: rows, folds: folds, imageOfRow: groups, recipe: recipe)
        let traceAlone = HeadCrossValidation.outOfFold(cache: trace, rows: rows, folds: folds, imageOfRow: groups, recipe: recipe)
        #expect(accuracy(imageAlone) < 0.65 && accuracy(traceAlone) < 0.65)
        #expect(accuracy(fit.outOfFold) > 0.9)
        // The out-of-fold predictions are the two halves' fused by the one definition of late fusion.
        for (fused, (a, b)) in zip(fit.outOfFold, zip(imageAlone, traceAlone)) {
            #expect(fused.probabilities == TraceFusion.fuse(image: a.probabilities, trace: b.probabilities, weight: 0.5))
        }
        #expect(fit.calibration.temperature == TemperatureScaling.fit(probabilities: fit.outOfFold.map(\.probabilities),
                                                                       labels: fit.outOfFold.map(\.label)))
        #expect(fit.calibration.logLossAfter <= fit.calibration.logLossBefore)

        // The shipped trace head is the one fitted on all rows; its mean is the rows' mean.
        let fusion = try fit.traceFusion(featureNames: ["a", "b", "c"], imageWeight: 0.5)
        let row = trace.features(7, pooling: .average)
        let expected = fit.traceHead.probabilities(row).map(Float.init)
        for (got, want) in zip(fusion.traceProbabilities(row), expected) { #expect(abs(got - want) < 1e-5) }
        for j in 0..<3 {
            let mean = rows.map { Double(trace.features($0, pooling: .average)[j]) }.reduce(0, +) / Double(rows.count)
            #expect(abs(Double(fusion.mean[j]) - mean) < 1e-4)
        }
        // The first column carries the class pair: it contributes most, towards the class it marks.
        let contributions = fusion.contributions(row, class: image.labels[7])
        #expect(contributions.first?.name == "a" && (contributions.first?.contribution ?? 0) > 0)
    }

    @Test("late fusion: the weighted geometric mean, renormalised; weight 1 is the image, 0 the trace")
    func geometricMean() {
        let a: [Float] = [0.7, 0.2, 0.1], b: [Float] = [0.1, 0.3, 0.6]
        let fused = TraceFusion.fuse(image: a, trace: b, weight: 0.5)
        let raw = zip(a, b).map { ($0 * $1).squareRoot() }
        let total = raw.reduce(0, +)
        for (got, want) in zip(fused, raw.map { $0 / total }) { #expect(abs(got - want) < 1e-6) }
        for (got, want) in zip(TraceFusion.fuse(image: a, trace: b, weight: 1), a) { #expect(abs(got - want) < 1e-6) }
        for (got, want) in zip(TraceFusion.fuse(image: a, trace: b, weight: 0), b) { #expect(abs(got - want) < 1e-6) }
    }

    @Test("a trace head is refused when its shapes disagree")
    func invalidHead() {
        #expect(throws: TraceFusionError.self) {
            try TraceFusion(classCount: 2, featureNames: ["a"], weights: [1], biases: [0, 0], mean: [0], imageWeight: 0.5)
        }
        #expect(throws: TraceFusionError.self) {
            try TraceFusion(classCount: 1, featureNames: ["a"], weights: [1], biases: [0], mean: [0], imageWeight: 2)
        }
    }
}

extension SplitMix64 {
    /// Uniform in -0.5...0.5.
    mutating func noise() -> Float { Float(next() >> 40) / Float(1 << 24) - 0.5 }
}
