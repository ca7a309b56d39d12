import Datasets
import Foundation
import Inference
import Training

/// Fits ECGLens's fused model (`ecg fit-fusion`): a linear head on the image network's cached
/// features, a linear head on the pages' trace measurements, their late fusion
/// (``TraceFusion/fuse(image:trace:weight:)``) and a temperature for the fused probabilities.
///
/// The temperature is fitted on out-of-fold fused predictions of the fitting rows (every page
/// predicted by heads that never saw it, on the given grouped folds), since the fused heads'
/// geometric mean is over-confident and no held-out split is left once both heads are fitted on
/// the training and validation files. The heads that ship are then fitted on all fitting rows.
public struct FusionFit: Sendable {
    /// The image head (on `imageRecipe.pooling` features) and the trace head (on trace rows).
    public let imageHead: LogisticRegression, traceHead: LogisticRegression
    /// The fitting rows' mean of every trace feature, each distinct image once: the baseline of the
    /// trace head's contributions.
    public let traceMean: [Float]
    /// The out-of-fold fused predictions of the fitting rows, uncalibrated.
    public let outOfFold: [ImageResult]
    /// The temperature fitted on them, with its before/after figures.
    public let calibration: TemperatureFit

    /// - Parameters:
    ///   - image: The image network's feature cache; `trace`: the `ecg features --kind trace` cache of the same files.
    ///   - rows: The rows to fit on (the training and validation files), `folds` over them.
    ///   - imageOfRow: Every cache row's distinct image (each is fitted on once).
    public init(image: FeatureCache, trace: FeatureCache, rows: [Int], folds: CrossValidationFolds, imageOfRow: [Int],
                imageRecipe: HeadRecipe, traceRecipe: HeadRecipe, imageWeight: Double) {
        precondition(image.files == trace.files && image.labels == trace.labels, "two caches of the same files")
        let imageResults = HeadCrossValidation.outOfFold(cache: image, rows: rows, folds: folds, imageOfRow: imageOfRow, recipe: imageRecipe)
        let traceResults = HeadCrossValidation.outOfFold(cache: trace, rows: rows, folds: folds, imageOfRow: imageOfRow, recipe: traceRecipe)
        outOfFold = HeadCrossValidation.fuse(imageResults, traceResults, weight: imageWeight)
        calibration = TemperatureFit(results: outOfFold)
        imageHead = imageRecipe.fit(cache: image, rows: rows, imageOfRow: imageOfRow)
        traceHead = traceRecipe.fit(cache: trace, rows: rows, imageOfRow: imageOfRow)
        var seen = Set<Int>(), sum = [Double](repeating: 0, count: trace.channels)
        for row in rows where seen.insert(imageOfRow[row]).inserted {
            for (j, value) in trace.features(row, pooling: traceRecipe.pooling).enumerated() { sum[j] += Double(value) }
        }
        traceMean = sum.map { Float($0 / Double(max(seen.count, 1))) }
    }

    /// The trace half as it is stored and served.
    /// - Throws: `TraceFusionError` when the trace cache's columns are not this ECGLens's trace features.
    public func traceFusion(featureNames: [String], imageWeight: Double) throws -> TraceFusion {
        try TraceFusion(classCount: traceHead.classCount, featureNames: featureNames, weights: traceHead.weights.map(Float.init),
                        biases: traceHead.biases.map(Float.init), mean: traceMean, imageWeight: imageWeight)
    }
}
