import Foundation
import Inference

/// Temperature scaling fitted on held-out images, with what it changed: the result of
/// `ecg calibrate`.
public struct TemperatureFit: Codable, Equatable, Sendable {
    /// The fitted temperature (``TemperatureScaling/fit(probabilities:labels:)``).
    public var temperature: Double
    /// Calibrated top probabilities below this are answered as uncertain.
    public var uncertainBelow: Double
    /// Distinct images the fit used.
    public var imageCount: Int
    public var before: Calibration
    public var after: Calibration
    /// Mean negative log-likelihood, before and after.
    public var logLossBefore: Double
    public var logLossAfter: Double
    /// Fraction of the images answered with high confidence after calibration, and how often
    /// those answers were right.
    public var confidentFraction: Double
    public var confidentAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case temperature, before, after
        case uncertainBelow = "uncertain_below", imageCount = "image_count"
        case logLossBefore = "log_loss_before", logLossAfter = "log_loss_after"
        case confidentFraction = "confident_fraction", confidentAccuracy = "confident_accuracy"
    }

    /// Fits on `results` of an uncalibrated classifier (temperature 1), each distinct picture once.
    /// - Parameter targetAccuracy: How often confident answers must be right on these images.
    public init(results: [ImageResult], targetAccuracy: Double = 0.9, calibrationBins: Int = 10) {
        let counted = countedOnce(results)
        let raw = counted.map(\.probabilities), labels = counted.map(\.label)
        let temperature = TemperatureScaling.fit(probabilities: raw, labels: labels)
        let calibrated = raw.map { TemperatureScaling.apply($0, temperature: temperature) }
        let threshold = TemperatureScaling.uncertainThreshold(probabilities: calibrated, labels: labels, targetAccuracy: targetAccuracy)
        let confident = zip(calibrated, labels).filter { Prediction.confidence(of: $0.0, uncertainBelow: threshold) == .high }
        self.temperature = temperature
        uncertainBelow = threshold
        imageCount = counted.count
        before = Calibration(probabilities: raw, labels: labels, binCount: calibrationBins)
        after = Calibration(probabilities: calibrated, labels: labels, binCount: calibrationBins)
        logLossBefore = logLoss(probabilities: raw, labels: labels)
        logLossAfter = logLoss(probabilities: calibrated, labels: labels)
        confidentFraction = counted.isEmpty ? 0 : Double(confident.count) / Double(counted.count)
        confidentAccuracy = confident.isEmpty ? nil
            : Double(confident.filter { argmax($0.0) == $0.1 }.count) / Double(confident.count)
    }
}

/// `results` with each distinct picture once (its first file), as the figures count them.
public func countedOnce(_ results: [ImageResult]) -> [ImageResult] {
    var seen = Set<[Int]>()
    return results.filter { seen.insert([$0.image, $0.label]).inserted }
}

extension ImageResult {
    /// This result with its probabilities scaled by `temperature`.
    public func scaled(by temperature: Double) -> ImageResult {
        var result = self
        result.probabilities = TemperatureScaling.apply(probabilities, temperature: temperature)
        return result
    }
}
