import Digitise
import Synth
import Testing

/// The per-territory summaries: on hand-made lead measurements (each rule exactly), then on
/// generated infarct pages, whose territory the generator records.
@Suite("Territory findings")
struct TerritoryFindingsTests {
    /// A quiet lead: small R, no ST shift, upright T.
    static func quiet(_ lead: String) -> LeadMeasurements {
        LeadMeasurements(lead: lead, stDeviation: 0, rAmplitude: 0.8, sAmplitude: 0.2, tAmplitude: 0.3)
    }

    /// Twelve quiet leads with `changes` in place of theirs.
    static func ecg(_ changes: [LeadMeasurements]) -> [LeadMeasurements] {
        ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"].map { name in
            changes.first { $0.lead == name } ?? quiet(name)
        }
    }

    @Test("an anterior injury: contiguous elevation counted with V2-V3's higher threshold, reciprocal depression inferiorly")
    func anteriorInjury() {
        let leads = Self.ecg([
            LeadMeasurements(lead: "V1", stDeviation: 0.08, rAmplitude: 0.2, sAmplitude: 0.8, tAmplitude: 0.2),
            LeadMeasurements(lead: "V2", stDeviation: 0.15, rAmplitude: 0.4, sAmplitude: 1.0, tAmplitude: 0.9),  // under 0.2: not counted
            LeadMeasurements(lead: "V3", stDeviation: 0.35, rAmplitude: 0.6, sAmplitude: 0.4, tAmplitude: 1.0),
            LeadMeasurements(lead: "V4", stDeviation: 0.12, rAmplitude: 0.9, sAmplitude: 0.1, tAmplitude: 0.6),
            LeadMeasurements(lead: "II", stDeviation: -0.04, rAmplitude: 0.8, tAmplitude: 0.2),
            LeadMeasurements(lead: "III", stDeviation: -0.12, rAmplitude: 0.5, tAmplitude: 0.1),
        ])
        let f = TerritoryFindings(leads)
        let anterior = f.territories[.anterior]!
        #expect(anterior.stMax == 0.35 && anterior.stSecond == 0.15)
        #expect(anterior.stElevatedCount == 2)
        #expect(anterior.reciprocalST == -0.12 && anterior.injuryPattern)
        #expect(abs(anterior.stToQRS - 0.35) < 1e-12)  // V3: 0.35 / (0.6 + 0.4)
        #expect(abs(anterior.tToQRS - 1.0) < 1e-12)
        #expect(f.territories[.inferior]!.stElevatedCount == 0 && !f.territories[.inferior]!.injuryPattern)
        #expect(f.territoriesElevated == 1 && f.stElevatedLeads == 2 && f.stDepressedLeads == 1)
        #expect(abs(f.injuryContrast - 0.27) < 1e-12 && abs(f.stRange - 0.47) < 1e-12)
        #expect(f.qLeads == 0 && f.tInvertedLeads == 0)
    }

    @Test("an old inferior infarct: pathological Q waves (wide, or deep for the R) and inverted T waves in II, III and aVF")
    func oldInferior() {
        let leads = Self.ecg([
            LeadMeasurements(lead: "II", stDeviation: 0, qDepth: 0.3, qWidth: 0.04, rAmplitude: 0.6, tAmplitude: -0.2),
            LeadMeasurements(lead: "III", stDeviation: 0, qDepth: 0.12, qWidth: 0.02, rAmplitude: 0.3, tAmplitude: -0.3),  // deep for its R
            LeadMeasurements(lead: "aVF", stDeviation: 0, qDepth: 0.4, qWidth: 0.045, rAmplitude: 0.5, tAmplitude: -0.15),
            LeadMeasurements(lead: "V5", stDeviation: 0, qDepth: 0.08, qWidth: 0.02, rAmplitude: 1.5, tAmplitude: 0.3),  // septal q: not pathological
            LeadMeasurements(lead: "aVR", stDeviation: 0, qDepth: 0.8, qWidth: 0.05, rAmplitude: 0.1, tAmplitude: -0.3),  // aVR: left out of the counts
        ])
        let f = TerritoryFindings(leads)
        let inferior = f.territories[.inferior]!
        #expect(inferior.qCount == 3 && inferior.qMax == 0.4)
        #expect(inferior.tInvertedCount == 3 && inferior.tMin == -0.3)
        #expect(f.territories[.lateral]!.qCount == 0 && f.territories[.lateral]!.qMax == 0.08)
        // III's inversion is common in health: the whole-ECG count leaves it (and aVR) out.
        #expect(f.qLeads == 3 && f.tInvertedLeads == 2)
        #expect(f.territoriesElevated == 0 && f.stElevatedLeads == 0)
    }

    @Test("missing leads are left out; no lead at all gives zeros; the vector matches its names")
    func missingLeads() {
        let none = TerritoryFindings([])
        #expect(none.featureVector.allSatisfy { $0 == 0 })
        #expect(none.featureVector.count == TerritoryFindings.featureNames.count)
        let one = TerritoryFindings([LeadMeasurements(lead: "V3", stDeviation: 0.3, rAmplitude: 0.5, tAmplitude: 0.4)])
        #expect(one.territories[.anterior]!.stMax == 0.3 && one.territories[.anterior]!.stSecond == 0)
        #expect(one.territories[.anterior]!.stElevatedCount == 1 && one.territoriesElevated == 0)
        #expect(Set(TerritoryFindings.featureNames).count == TerritoryFindings.featureNames.count)
        #expect(Measurements.featureNames.suffix(TerritoryFindings.featureNames.count) == TerritoryFindings.featureNames[...])
    }

    @Test("generated acute infarcts: the infarct's own territory has the largest contiguous elevation, on the true signals and on the page",
          arguments: 1...4)
    func syntheticInfarct(index: Int) throws {
        let page = try DigitisedPage.make(.myocardialInfarction, index: index)
        let territory = try #require(page.page.sidecar.signal.territory)
        let truth = page.trueLeads
        for (source, m) in [("truth", Measurements(leads: truth.leads, rhythm: truth.rhythm, sampleRate: ECGSignal.sampleRate)),
                            ("page", Measurements(page.ecg))] {
            let f = TerritoryFindings(m.leads)
            let own = try #require(InfarctTerritory(rawValue: territory.rawValue))
            let best = InfarctTerritory.allCases.max { f.territories[$0]!.stSecond < f.territories[$1]!.stSecond }!
            #expect(best == own, "MI \(index) (\(territory), \(source)): \(InfarctTerritory.allCases.map { "\($0) \(f.territories[$0]!.stSecond)" })")
            #expect(f.territories[own]!.stElevatedCount >= 1, "MI \(index) (\(territory), \(source))")
        }
    }
}
