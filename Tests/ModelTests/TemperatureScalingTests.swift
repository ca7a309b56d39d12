import Foundation
import Inference
import ImageIO
import Models
import Testing

@Suite("Temperature scaling and the uncertain band")
struct TemperatureScalingTests {
    private func softmax(_ logits: [Double]) -> [Float] {
        let top = logits.max()!
        let exps = logits.map { exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { Float($0 / sum) }
    }

    @Test("Scaling probabilities equals scaling the logits, keeps the argmax, and T = 1 changes nothing")
    func applyMatchesLogits() {
        let logits = [2.0, -1.0, 0.5, 3.2]
        let probabilities = softmax(logits)
        #expect(TemperatureScaling.apply(probabilities, temperature: 1) == probabilities)
        for temperature in [0.5, 1.7, 4.0] {
            let scaled = TemperatureScaling.apply(probabilities, temperature: temperature)
            let expected = softmax(logits.map { $0 / temperature })
            for (a, b) in zip(scaled, expected) { #expect(abs(a - b) < 1e-5) }
            #expect(scaled.firstIndex(of: scaled.max()!) == 3)
            #expect(abs(scaled.reduce(0, +) - 1) < 1e-5)
        }
        #expect(TemperatureScaling.apply(probabilities, temperature: 2)[3] < probabilities[3], "T > 1 softens")
    }

    @Test("The fit recovers the temperature that generated the labels")
    func fitRecoversTemperature() {
        // Labels drawn from softmax(z / 2.5) while the model reports softmax(z): overconfident by T = 2.5.
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var rows: [[Float]] = [], labels: [Int] = []
        for _ in 0..<4000 {
            let logits = (0..<4).map { _ in (uniform() - 0.5) * 12 }
            let truth = softmax(logits.map { $0 / 2.5 })
            var draw = uniform(), label = 3
            for (index, p) in truth.enumerated() {
                draw -= Double(p)
                if draw < 0 { label = index; break }
            }
            rows.append(softmax(logits))
            labels.append(label)
        }
        let fitted = TemperatureScaling.fit(probabilities: rows, labels: labels)
        #expect(abs(fitted - 2.5) < 0.25, "fitted \(fitted)")
        let nll = { (t: Double) in TemperatureScaling.negativeLogLikelihood(probabilities: rows, labels: labels, temperature: t) }
        #expect(nll(fitted) < nll(1) && nll(fitted) <= nll(fitted * 1.1) && nll(fitted) <= nll(fitted / 1.1))
    }

    @Test("Confidence is low below the threshold or when the top two are within 0.1")
    func confidenceRule() {
        #expect(Prediction.confidence(of: [0.6, 0.2, 0.1, 0.1], uncertainBelow: nil) == .high)
        #expect(Prediction.confidence(of: [0.6, 0.2, 0.1, 0.1], uncertainBelow: 0.7) == .low)
        #expect(Prediction.confidence(of: [0.45, 0.40, 0.1, 0.05], uncertainBelow: 0.3) == .low)
        let prediction = Prediction(classes: ["a", "b", "c", "d"], probabilities: [0.1, 0.3, 0.2, 0.4],
                                    timings: .init(preprocessMilliseconds: 0, inferenceMilliseconds: 0))
        #expect(prediction.leadingClasses == ["d", "b"])
    }

    @Test("The threshold is the smallest at which the confident answers reach the target accuracy")
    func threshold() {
        // Answers at 0.9+ are right, those at 0.5-0.6 are wrong half the time.
        var rows: [[Float]] = [], labels: [Int] = []
        for index in 0..<20 {
            rows.append([0.92, 0.04, 0.02, 0.02]); labels.append(0)
            rows.append([0.55, 0.25, 0.1, 0.1]); labels.append(index % 2)
        }
        #expect(TemperatureScaling.uncertainThreshold(probabilities: rows, labels: labels, targetAccuracy: 0.9) == 0.6)
        #expect(TemperatureScaling.uncertainThreshold(probabilities: rows, labels: labels, targetAccuracy: 0.7) == 0.3)
    }

    @Test("Provenance never keeps absolute paths: each is cut to its last two components")
    func portableProvenance() {
        let text = "data /work/main/Data/train [478 images], validation /home/ana/x/Data/validation [114]; "
            + "initialised from ../shared/pretrained/m.h5; command: ecg train --out /tmp/runs/a.safetensors --log=/tmp/runs/a.jsonl"
        let portable = WeightsMetadata.portable(text)
        #expect(portable == "data Data/train [478 images], validation Data/validation [114]; "
            + "initialised from ../shared/pretrained/m.h5; command: ecg train --out runs/a.safetensors --log=runs/a.jsonl")
        #expect(WeightsMetadata.portable("no paths here, 1/2 of them") == "no paths here, 1/2 of them")
        let metadata = WeightsMetadata(architecture: .smallCNN, classes: ["a"], 
                                       input: InputSpec(inputSize: 8, resize: .bicubic, preprocessing: .standard), provenance: "data /abs/olute/Data/x", trained: true,
                                       temperature: 1.5, uncertainBelow: 0.6)
        #expect(metadata.dictionary["provenance"] == "data Data/x")
        #expect(metadata.dictionary["temperature"] == "1.5" && metadata.dictionary["uncertain_below"] == "0.6")
    }
}
