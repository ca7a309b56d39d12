import Determinism
import Evaluation
import Testing

/// Expected calibration error and the reliability diagram's bins.
@Suite("Calibration")
struct CalibrationTests {
    @Test("ECE and bins of five images, by hand")
    func byHand() throws {
        // Bin 9 (0.9, 1]: 0.95 right, 0.95 wrong -> gap |0.5 - 0.95| = 0.45
        // Bin 6 (0.6, 0.7]: 0.65 right twice   -> gap |1 - 0.65| = 0.35
        // Bin 2 (0.2, 0.3]: 0.25 wrong         -> gap 0.25
        // ECE = (2 * 0.45 + 2 * 0.35 + 1 * 0.25) / 5 = 0.37
        let calibration = Calibration(
            confidences: [0.95, 0.95, 0.65, 0.65, 0.25], correct: [true, false, true, true, false], binCount: 10)
        #expect(abs(calibration.expectedCalibrationError - 0.37) < 1e-12)
        #expect(calibration.bins.map(\.count) == [0, 0, 1, 0, 0, 0, 2, 0, 0, 2])
        #expect(calibration.bins[9].accuracy == 0.5)
        #expect(try abs(#require(calibration.bins[9].meanConfidence) - 0.95) < 1e-12)
        #expect(calibration.bins[6].accuracy == 1 && calibration.bins[2].accuracy == 0)
        #expect(calibration.bins[0].accuracy == nil && calibration.bins[0].meanConfidence == nil)
        #expect(calibration.bins[3].lower == 0.3 && calibration.bins[3].upper == 0.4)
    }

    @Test("Confidence 0 falls in the first bin, 1 in the last")
    func edges() {
        let calibration = Calibration(confidences: [0, 1], correct: [false, true], binCount: 4)
        #expect(calibration.bins.map(\.count) == [1, 0, 0, 1])
        #expect(calibration.expectedCalibrationError == 0)
    }

    @Test("Probability rows: the top class's probability is the confidence")
    func fromProbabilities() {
        let calibration = Calibration(probabilities: [[0.15, 0.85], [0.7, 0.3]], labels: [1, 1], binCount: 10)
        #expect(calibration.bins[8].count == 1 && calibration.bins[8].accuracy == 1)
        #expect(calibration.bins[6].count == 1 && calibration.bins[6].accuracy == 0)
        #expect(abs(calibration.expectedCalibrationError - (0.15 + 0.7) / 2) < 1e-6)
    }

    /// `count` images whose confidence is uniform in [0.25, 1] and which are right with
    /// probability `confidence - bias`.
    private func synthetic(count: Int, bias: Double) -> Calibration {
        var generator = SplitMix64(seed: 7)
        var confidences: [Double] = [], correct: [Bool] = []
        for _ in 0..<count {
            let confidence = Double.random(in: 0.25...1, using: &generator)
            confidences.append(confidence)
            correct.append(Double.random(in: 0..<1, using: &generator) < confidence - bias)
        }
        return Calibration(confidences: confidences, correct: correct)
    }

    @Test("Perfectly calibrated predictions have ECE near 0; 20-point overconfidence gives near 0.2")
    func synthetic() {
        #expect(synthetic(count: 20000, bias: 0).expectedCalibrationError < 0.015)
        #expect(abs(synthetic(count: 20000, bias: 0.2).expectedCalibrationError - 0.2) < 0.015)
    }
}
