import Datasets
import Foundation
import Inference
import Training

/// One way of fitting a linear head on cached features: the pooling, the penalty and the image
/// weights.
public struct HeadRecipe: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var pooling: FeaturePooling
    /// `LogisticRegression`'s `l2`, on standardised features.
    public var l2: Double
    /// Weigh images so that every class has the same total weight (else every image weighs 1).
    public var classBalanced: Bool

    enum CodingKeys: String, CodingKey {
        case pooling, l2
        case classBalanced = "class_balanced"
    }

    public init(pooling: FeaturePooling, l2: Double, classBalanced: Bool = true) {
        (self.pooling, self.l2, self.classBalanced) = (pooling, l2, classBalanced)
    }

    /// `avg+max, l2 0.01, balanced`.
    public var description: String {
        "\(pooling.rawValue), l2 \(String(format: "%g", l2))" + (classBalanced ? ", balanced" : ", unweighted")
    }

    /// Fits the head on `rows` of `cache`, each distinct image once (`imageOfRow`: the first row of
    /// each image is kept), with the recipe's pooling, penalty and weights.
    public func fit(cache: FeatureCache, rows: [Int], imageOfRow: [Int]) -> LogisticRegression {
        var seen = Set<Int>()
        let kept = rows.filter { seen.insert(imageOfRow[$0]).inserted }
        let labels = kept.map { cache.labels[$0] }
        let counts = labels.reduce(into: Array(repeating: 0, count: cache.classes.count)) { $0[$1] += 1 }
        let classWeights = ClassWeights.balanced(counts: counts)
        return LogisticRegression.fit(
            rows: kept.map { cache.features($0, pooling: pooling) }, labels: labels, classCount: cache.classes.count,
            sampleWeights: classBalanced ? labels.map { Double(classWeights[$0]) } : nil, l2: l2)
    }
}

/// Grouped k-fold cross-validation of a linear head on cached features.
public enum HeadCrossValidation {
    /// Every row's prediction by the head fitted on the other folds.
    ///
    /// - Parameters:
    ///   - rows: The cache rows taking part (all, or the training and validation splits').
    ///   - folds: The folds of `rows`, in `rows` order (`CrossValidationFolds`, built from the same groups).
    ///   - imageOfRow: The distinct image of every cache row: each is trained on once per fold.
    /// - Returns: One result per row of `rows`, in order, for `EvaluationReport` (which counts each
    ///   distinct image once).
    public static func outOfFold(
        cache: FeatureCache, rows: [Int], folds: CrossValidationFolds, imageOfRow: [Int], recipe: HeadRecipe
    ) -> [ImageResult] {
        precondition(folds.foldOfFile.count == rows.count, "one fold per row")
        var results = [ImageResult?](repeating: nil, count: rows.count)
        for fold in 0..<folds.k {
            let training = folds.training(fold).map { rows[$0] }
            let head = recipe.fit(cache: cache, rows: training, imageOfRow: imageOfRow)
            for position in folds.heldOut(fold) {
                let row = rows[position]
                let probabilities = head.probabilities(cache.features(row, pooling: recipe.pooling)).map(Float.init)
                results[position] = ImageResult(file: cache.files[row], label: cache.labels[row],
                                                probabilities: probabilities, image: imageOfRow[row])
            }
        }
        return results.map { $0! }
    }

    /// The `test` rows' predictions by one head fitted on the `training` rows (each distinct image
    /// once): the final test-split figure of a recipe chosen by cross-validation.
    public static func heldOutTest(
        cache: FeatureCache, training: [Int], test: [Int], imageOfRow: [Int], recipe: HeadRecipe
    ) -> [ImageResult] {
        let head = recipe.fit(cache: cache, rows: training, imageOfRow: imageOfRow)
        return test.map { row in
            ImageResult(file: cache.files[row], label: cache.labels[row],
                        probabilities: head.probabilities(cache.features(row, pooling: recipe.pooling)).map(Float.init),
                        image: imageOfRow[row])
        }
    }

    /// The report of out-of-fold `results`, as `ecg evaluate` would write it for a model.
    public static func report(
        cache: FeatureCache, recipe: HeadRecipe, folds: CrossValidationFolds, results: [ImageResult], bootstrap: Bootstrap,
        seconds: Double, notice: String
    ) -> EvaluationReport {
        report(source: cache.source, classes: cache.classes, recipe: recipe, folds: folds, results: results,
               bootstrap: bootstrap, seconds: seconds, notice: notice)
    }

    /// The report of out-of-fold `results` of features described by `source` (a fused recipe's, say).
    public static func report(
        source: FeatureCache.Source, classes: [String], recipe: HeadRecipe, folds: CrossValidationFolds, results: [ImageResult],
        bootstrap: Bootstrap, seconds: Double, notice: String, finalTest: Bool = false
    ) -> EvaluationReport {
        let evaluation = finalTest ? "Test split of a linear head fitted on training and validation" : "\(folds.k)-fold CV of a linear head"
        let model = EvaluationReport.Model(
            key: finalTest ? "final-test" : "cv", name: "\(evaluation) (\(recipe)) on \(source.architecture) features",
            architecture: source.architecture, trained: true,
            provenance: "features of \(source.weights) (sha256 \(source.weightsSHA256.prefix(12))), fold seed \(folds.seed)",
            inputSize: source.inputSize, preprocessing: source.preprocessing, resize: source.resize, crop: source.crop)
        return EvaluationReport(model: model, classes: classes, data: source.data, results: results, unreadable: [],
                                bootstrap: bootstrap, seconds: seconds, notice: notice)
    }
}

extension HeadCrossValidation {
    /// Late fusion of two heads' out-of-fold predictions of the same rows: the weighted geometric
    /// mean of their probabilities, `p ∝ pa^w pb^(1-w)` (a weighted sum of log-probabilities, so a
    /// confident head is not averaged away), renormalised. Both must come from the same folds, so
    /// that every fused prediction is still one no fitted head saw.
    public static func fuse(_ a: [ImageResult], _ b: [ImageResult], weight: Double) -> [ImageResult] {
        precondition(a.count == b.count && zip(a, b).allSatisfy { $0.file == $1.file }, "the same rows in the same order")
        return zip(a, b).map { x, y in
            ImageResult(file: x.file, label: x.label, probabilities: TraceFusion.fuse(image: x.probabilities, trace: y.probabilities, weight: weight),
                        image: x.image)
        }
    }

    /// The source line of a late-fused recipe's report: both heads' features and penalties and the weight.
    public static func fusedSource(_ a: FeatureCache.Source, _ b: FeatureCache.Source, recipeB: HeadRecipe, weight: Double) -> FeatureCache.Source {
        var source = a
        source.architecture = "late(\(a.architecture), \(b.architecture))"
        source.label = String(format: "%g x %@ + %g x %@ (%@, l2 %g)", weight, a.summary, 1 - weight, b.summary,
                              recipeB.pooling.rawValue, recipeB.l2)
        source.featureNames = nil
        return source
    }
}
