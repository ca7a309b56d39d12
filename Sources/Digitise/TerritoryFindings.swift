import Foundation

/// A region of the left ventricle, with the leads that face it and those opposite it.
///
/// An acute infarct's injury current raises the ST segment in contiguous facing leads and
/// depresses it in the reciprocal ones; an old infarct leaves Q waves and inverted T waves in the
/// facing leads. The groups are the usual clinical ones (and `Synth`'s `Territory`, which draws them).
public enum InfarctTerritory: String, CaseIterable, Codable, Sendable {
    case anterior, inferior, lateral

    /// The leads that look at the territory.
    public var facingLeads: [String] {
        switch self {
        case .anterior: ["V1", "V2", "V3", "V4"]
        case .inferior: ["II", "III", "aVF"]
        case .lateral: ["I", "aVL", "V5", "V6"]
        }
    }

    /// The leads opposite the territory (reciprocal ST depression).
    public var reciprocalLeads: [String] {
        switch self {
        case .anterior: ["II", "III", "aVF"]
        case .inferior: ["I", "aVL"]
        case .lateral: ["III", "aVF", "V1"]
        }
    }
}

/// Per-territory summaries of the per-lead measurements: the patterns a cardiologist reads across
/// leads rather than in one (contiguous ST elevation with reciprocal depression, Q waves and T
/// inversion in the leads facing one wall), as classifier features.
///
/// The per-lead columns alone make a linear head learn "ST high in V2 *and* V3" from two separate
/// weights; the second-largest elevation of a territory and the count of elevated leads say it
/// directly, and do not care which wall is affected. Thresholds are the usual clinical ones
/// (Fourth Universal Definition of MI: ST elevation of 0.1 mV in two contiguous leads, 0.2 mV in
/// V2-V3; a pathological Q wave is at least 30 ms wide or a quarter of the R wave deep); they are
/// only features here, the head weighs them.
///
/// Leads the digitiser could not measure are left out of every summary; a territory with no
/// measured lead contributes zeros.
public struct TerritoryFindings: Equatable, Sendable {
    /// One territory's summary (amplitudes in mV; counts of leads).
    public struct Summary: Equatable, Sendable {
        /// The largest and second-largest ST deviation of the facing leads (0 when there are fewer).
        public var stMax = 0.0, stSecond = 0.0
        /// Facing leads with ST elevation beyond the clinical threshold.
        public var stElevatedCount = 0
        /// The lowest ST deviation of the reciprocal leads (negative: depression).
        public var reciprocalST = 0.0
        /// Contiguous elevation (two facing leads) with reciprocal depression (under -0.05 mV).
        public var injuryPattern = false
        /// The largest ST deviation of a facing lead relative to its QRS size (R + S, at least 0.2 mV).
        public var stToQRS = 0.0
        /// Facing leads with a pathological Q wave, and the deepest Q.
        public var qCount = 0
        public var qMax = 0.0
        /// Facing leads with an inverted T wave (under -0.1 mV), and the lowest T.
        public var tInvertedCount = 0
        public var tMin = 0.0
        /// The tallest T wave of a facing lead relative to its QRS size (hyperacute T).
        public var tToQRS = 0.0
    }

    public let territories: [InfarctTerritory: Summary]
    /// Leads (all but aVR) with ST elevation beyond the clinical threshold, and with ST depression under -0.05 mV.
    public let stElevatedLeads, stDepressedLeads: Int
    /// The largest minus the smallest ST deviation over all leads but aVR.
    public let stRange: Double
    /// Territories with contiguous ST elevation (two leads over threshold).
    public let territoriesElevated: Int
    /// The largest "injury contrast" of a territory: its second-largest elevation minus its reciprocal ST.
    public let injuryContrast: Double
    /// Leads (all but aVR) with a pathological Q wave, and with an inverted T wave (under -0.1 mV; aVR, III and V1 left out, where it is common).
    public let qLeads, tInvertedLeads: Int

    /// The ST elevation that counts in `lead` (mV).
    public static func elevationThreshold(_ lead: String) -> Double { lead == "V2" || lead == "V3" ? 0.2 : 0.1 }

    /// Whether a Q wave is pathological: at least 0.1 mV deep, and 30 ms wide or a quarter of the R wave.
    public static func pathologicalQ(_ m: LeadMeasurements) -> Bool {
        m.qDepth >= 0.1 && (m.qWidth >= 0.03 || m.qDepth >= 0.25 * m.rAmplitude)
    }

    /// Summarises `leads` (any order; leads missing from it are left out).
    public init(_ leads: [LeadMeasurements]) {
        let byName = Dictionary(leads.map { ($0.lead, $0) }, uniquingKeysWith: { first, _ in first })
        func qrsSize(_ m: LeadMeasurements) -> Double { max(m.rAmplitude + m.sAmplitude, 0.2) }
        var territories: [InfarctTerritory: Summary] = [:]
        for territory in InfarctTerritory.allCases {
            let facing = territory.facingLeads.compactMap { byName[$0] }
            let reciprocal = territory.reciprocalLeads.compactMap { byName[$0] }
            var s = Summary()
            let st = facing.map(\.stDeviation).sorted(by: >)
            s.stMax = st.first ?? 0
            s.stSecond = st.count > 1 ? st[1] : 0
            s.stElevatedCount = facing.filter { $0.stDeviation >= Self.elevationThreshold($0.lead) }.count
            s.reciprocalST = min(0, reciprocal.map(\.stDeviation).min() ?? 0)
            s.injuryPattern = s.stElevatedCount >= 2 && s.reciprocalST < -0.05
            s.stToQRS = facing.map { $0.stDeviation / qrsSize($0) }.max() ?? 0
            s.qCount = facing.filter(Self.pathologicalQ).count
            s.qMax = facing.map(\.qDepth).max() ?? 0
            s.tInvertedCount = facing.filter { $0.tAmplitude < -0.1 }.count
            s.tMin = facing.map(\.tAmplitude).min() ?? 0
            s.tToQRS = facing.map { $0.tAmplitude / qrsSize($0) }.max() ?? 0
            territories[territory] = s
        }
        self.territories = territories
        let limb = leads.filter { $0.lead != "aVR" }
        stElevatedLeads = limb.filter { $0.stDeviation >= Self.elevationThreshold($0.lead) }.count
        stDepressedLeads = limb.filter { $0.stDeviation < -0.05 }.count
        let st = limb.map(\.stDeviation)
        stRange = (st.max() ?? 0) - (st.min() ?? 0)
        territoriesElevated = territories.values.filter { $0.stElevatedCount >= 2 }.count
        injuryContrast = territories.values.map { $0.stSecond - $0.reciprocalST }.max() ?? 0
        qLeads = limb.filter(Self.pathologicalQ).count
        tInvertedLeads = limb.filter { !["III", "V1"].contains($0.lead) && $0.tAmplitude < -0.1 }.count
    }

    /// The names of `featureVector`'s entries: per territory, then the whole-ECG counts.
    public static let featureNames: [String] = {
        var names: [String] = []
        for t in InfarctTerritory.allCases.map(\.rawValue) {
            names += ["\(t)_st_max", "\(t)_st_second", "\(t)_st_elevated", "\(t)_reciprocal_st", "\(t)_injury_pattern",
                      "\(t)_st_to_qrs", "\(t)_q_count", "\(t)_q_max", "\(t)_t_inverted", "\(t)_t_min", "\(t)_t_to_qrs"]
        }
        return names + ["st_elevated_leads", "st_depressed_leads", "st_range", "territories_elevated", "injury_contrast",
                        "q_leads", "t_inverted_leads"]
    }()

    /// The feature values, in `featureNames` order.
    public var featureVector: [Double] {
        var values: [Double] = []
        for territory in InfarctTerritory.allCases {
            let s = territories[territory] ?? Summary()
            values += [s.stMax, s.stSecond, Double(s.stElevatedCount), s.reciprocalST, s.injuryPattern ? 1 : 0,
                       s.stToQRS, Double(s.qCount), s.qMax, Double(s.tInvertedCount), s.tMin, s.tToQRS]
        }
        return values + [Double(stElevatedLeads), Double(stDepressedLeads), stRange, Double(territoriesElevated), injuryContrast,
                         Double(qLeads), Double(tInvertedLeads)]
    }
}
