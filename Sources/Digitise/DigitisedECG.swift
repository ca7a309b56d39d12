import ReportFormat

/// One lead read off the page: its samples in millivolts at the ECG's sampling rate, starting
/// `startSeconds` into the 10-s recording.
public struct DigitisedLead: Codable, Equatable, Sendable {
    /// The lead's name (`I`, `aVR`, `V1`...).
    public var name: String
    public let startSeconds: Double
    public let samples: [Float]
    /// The fraction of the panel's pixel columns where the trace was found (the rest was bridged).
    public let coverage: Double
    /// Whether the trace was followed over enough of the panel (`coverage` at least
    /// `Digitiser.minimumCoverage`) to be trusted.
    public var readable: Bool { coverage >= Digitiser.minimumCoverage }

    public init(name: String, startSeconds: Double, samples: [Float], coverage: Double = 1) {
        self.name = name
        self.startSeconds = startSeconds
        self.samples = samples
        self.coverage = coverage
    }
}

/// A report page turned back into signals: the twelve 2.5-s leads and the 10-s rhythm strip,
/// with the layout they were read from.
public struct DigitisedECG: Sendable {
    /// Samples per second of every lead.
    public let sampleRate: Double
    /// The twelve leads in `ReportGeometry.leads` order, each 2.5 s.
    public let leads: [DigitisedLead]
    /// The 10-s rhythm strip; its name is the panel lead whose trace it matches best.
    public let rhythm: DigitisedLead
    /// How well the rhythm strip matches that lead's panel over the same 2.5 s (Pearson r).
    public let rhythmMatch: Double
    /// Where everything was found on the page.
    public let layout: ReportLayout
    /// The trace's line thickness in pixels.
    public let lineThickness: Double
    /// The plausibility figures the page passed (see `TraceQuality`).
    public let quality: TraceQuality

    /// The lead called `name`, if there is one.
    public func lead(_ name: String) -> DigitisedLead? { leads.first { $0.name == name } }
}
