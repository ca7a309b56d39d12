/// How a fused model (``TraceFusion``) reached its answer: what the page's image and its trace
/// each said, and the measurements that moved the trace head most towards (or away from) the
/// answer. The `fusion` object of a prediction's JSON.
public struct FusionEvidence: Sendable, Codable, Equatable {
    /// One measurement's share of the trace head's logit for the predicted class.
    public struct Measurement: Sendable, Codable, Equatable {
        /// The column (``TraceFeatures/featureNames``): `q_depth_V2`, `heart_rate`...
        public var name: String
        /// The page's value (seconds, mV, beats per minute; see docs/digitise.md).
        public var value: Float
        /// `w · (value - the fitted pages' mean)`: positive pushed towards the predicted class.
        public var contribution: Float
    }

    /// One lead's summed contribution (its ST, Q, R, S and T measurements) to the predicted class.
    public struct Lead: Sendable, Codable, Equatable {
        public var lead: String
        public var contribution: Float
    }

    /// False when the digitiser refused the page: the answer is then the image head's alone.
    public var traceRead: Bool
    /// Why the digitiser refused the page.
    public var refusal: String?
    /// The image head's exponent in the fused probabilities (the trace head's is one minus it).
    public var imageWeight: Double
    /// The image head's probabilities, calibrated by the model's temperature like the answer.
    public var image: [String: Float]
    /// The trace head's probabilities, calibrated likewise; nil when the page was not read.
    public var trace: [String: Float]?
    /// The largest contributions to the predicted class, largest magnitude first (at most ``shown``).
    public var measurements: [Measurement]
    /// Every lead's summed contribution to the predicted class, largest magnitude first: which
    /// leads drove the answer (empty when the trace was not read).
    public var leads: [Lead]

    /// How many measurements an answer lists.
    public static let shown = 8

    enum CodingKeys: String, CodingKey {
        case refusal, image, trace, measurements, leads
        case traceRead = "trace_read", imageWeight = "image_weight"
    }
}

extension TraceFusion {
    /// The fused (uncalibrated) probabilities of one page, and the evidence for them, from the image
    /// network's probabilities and the page's trace row; `temperature` only calibrates the
    /// probabilities the evidence shows. A refused page answers the image's probabilities.
    public func apply(image: [Float], trace: TraceRow, classes: [String], temperature: Double)
        -> (probabilities: [Float], evidence: FusionEvidence) {
        let named = { (p: [Float]) in
            Dictionary(zip(classes, TemperatureScaling.apply(p, temperature: temperature)), uniquingKeysWith: { a, _ in a })
        }
        guard trace.refusal == nil else {
            return (image, FusionEvidence(traceRead: false, refusal: trace.refusal, imageWeight: imageWeight,
                                          image: named(image), trace: nil, measurements: [], leads: []))
        }
        let traceProbabilities = traceProbabilities(trace.values)
        let fused = Self.fuse(image: image, trace: traceProbabilities, weight: imageWeight)
        let predicted = fused.indices.max { fused[$0] < fused[$1] } ?? 0
        let measurements = contributions(trace.values, class: predicted).prefix(FusionEvidence.shown)
            .map { FusionEvidence.Measurement(name: $0.name, value: $0.value, contribution: $0.contribution) }
        let leads = leadContributions(trace.values, class: predicted).map { FusionEvidence.Lead(lead: $0.lead, contribution: $0.contribution) }
        return (fused, FusionEvidence(traceRead: true, refusal: nil, imageWeight: imageWeight, image: named(image),
                                      trace: named(traceProbabilities), measurements: measurements, leads: leads))
    }
}
