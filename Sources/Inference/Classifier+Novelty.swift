import Dispatch
import ImageIO
import Models
import Tensors

extension Classifier {
    /// One page's answer and how far it lies from the model's training data.
    public struct Checked: Sendable {
        public let prediction: Prediction
        /// Nil when the model has no novelty check (see ``Classifier/novelty``).
        public let novelty: NoveltyScore?

        public init(prediction: Prediction, novelty: NoveltyScore?) {
            (self.prediction, self.novelty) = (prediction, novelty)
        }
    }

    /// Classifies decoded images, one answer per image, each with its novelty score when the model
    /// has a novelty check: the features come from the same forward pass as the prediction.
    /// - Throws: `TensorError` only for a programming error in the network.
    public func classifyChecked(_ images: [RGBImage]) throws -> [Checked] {
        guard !images.isEmpty else { return [] }
        let start = DispatchTime.now()
        let batch = inputBatch(images)
        // A fused model also reads the trace off each page (the digitiser), timed as preprocessing.
        let traces = fusion.map { _ in TraceRow.rows(images) }
        return try checked(batch, count: images.count,
                           preprocessMilliseconds: DispatchTime.now().milliseconds(since: start) / Double(images.count),
                           traces: traces)
    }

    /// The forward pass every way of classifying shares: the network's probabilities, fused with
    /// the trace head's where the model has one and the page was read (`traces`, one per page),
    /// calibrated by ``temperature``, and novelty scores when there is a novelty check.
    func checked(_ batch: Tensor, count: Int, preprocessMilliseconds: Double, traces: [TraceRow?]? = nil) throws -> [Checked] {
        let start = DispatchTime.now()
        let output: Tensor, features: [Float]?
        if novelty != nil, let penultimate = network.penultimate {
            let pass = try penultimate.penultimateAndOutput(batch)
            (output, features) = (pass.output, pass.features.scalars)
        } else {
            (output, features) = (try network(batch), nil)
        }
        let values = (network.architecture.outputsProbabilities ? output : output.softmax()).scalars
        let width = features.map { $0.count / count } ?? 0
        let scores = features.flatMap { features in
            novelty.map { model in (0..<count).map { model.score(features[($0 * width)..<(($0 + 1) * width)]) } }
        }
        let timings = Prediction.Timings(
            preprocessMilliseconds: preprocessMilliseconds,
            inferenceMilliseconds: DispatchTime.now().milliseconds(since: start) / Double(count))
        return (0..<count).map { index in
            let network = Array(values[(index * classes.count)..<((index + 1) * classes.count)])
            var evidence: FusionEvidence?, answer = network
            if let fusion, let trace = traces?[index] ?? nil {
                let fused = fusion.apply(image: network, trace: trace, classes: classes, temperature: temperature)
                (answer, evidence) = (fused.probabilities, fused.evidence)
            }
            let row = TemperatureScaling.apply(answer, temperature: temperature)
            var prediction = Prediction(classes: classes, probabilities: row, timings: timings)
            prediction.fusion = evidence
            return Checked(prediction: prediction, novelty: scores?[index])
        }
    }

    /// Runs the novelty check on a page the page check has examined: the verdict gains a
    /// `novelty` check when the model has one.
    /// - Throws: ``NotAnECGPage`` when `enforce` is set and either check refuses the page.
    public func classify(_ examined: InputGate.Examined, enforce: Bool) throws -> (prediction: Prediction, verdict: InputGate.Verdict) {
        let checked = try classifyChecked([examined.image])[0]
        let verdict = examined.verdict.adding(novelty: checked.novelty)
        if enforce && !verdict.accepted { throw NotAnECGPage(verdict: verdict) }
        return (checked.prediction, verdict)
    }
}

extension Classifier {
    /// The network's penultimate features of `images` (one row each), what a novelty model is fitted on.
    /// - Throws: ``NoveltyModelError/invalid(_:)`` when the architecture gives no penultimate features.
    public func penultimateFeatures(_ images: [RGBImage]) throws -> [[Float]] {
        guard let penultimate = network.penultimate else {
            throw NoveltyModelError.invalid("\(network.architecture.displayName) gives no penultimate features")
        }
        guard !images.isEmpty else { return [] }
        let values = try penultimate.penultimateAndOutput(inputBatch(images)).features.scalars
        let width = values.count / images.count
        return (0..<images.count).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }
}
