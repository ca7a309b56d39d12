import Digitise
import Foundation
import Synth
import Testing

/// Measurements checked against what the generator put into each page (its sidecar), first on
/// the true signals (the measuring alone), then on the digitised ones (page reading and measuring).
@Suite("Measurements on synthetic ECGs")
struct MeasurementTests {
    /// Pages of every class; the premature-beat and infarct pages are the ones measurements must tell apart.
    static let pages: [(ECGClass, Int)] = [(.normal, 1), (.normal, 2), (.normal, 3), (.abnormalHeartbeat, 1), (.abnormalHeartbeat, 2),
                                           (.abnormalHeartbeat, 3), (.abnormalHeartbeat, 4), (.myocardialInfarction, 1),
                                           (.myocardialInfarction, 2), (.historyOfMyocardialInfarction, 1), (.historyOfMyocardialInfarction, 2)]

    @Test("beats, rate, ectopic beats, PR, QRS, QTc and axis on the true signals match the generator's parameters",
          arguments: pages)
    func onTruth(label: ECGClass, index: Int) throws {
        let page = try DigitisedPage.make(label, index: index)
        let truth = page.trueLeads
        let m = Measurements(leads: truth.leads, rhythm: truth.rhythm, sampleRate: ECGSignal.sampleRate)
        check(m, against: page.page.sidecar, tolerance: 1)
    }

    @Test("the same measurements on the digitised page stay within the tolerances", arguments: pages)
    func onDigitised(label: ECGClass, index: Int) throws {
        let page = try DigitisedPage.make(label, index: index)
        check(Measurements(page.ecg), against: page.page.sidecar, tolerance: 1.5)
    }

    @Test("ST elevation, Q waves and T inversion read off the page agree with the true signals'", arguments: pages)
    func perLeadAgreement(label: ECGClass, index: Int) throws {
        let page = try DigitisedPage.make(label, index: index)
        let truth = page.trueLeads
        let expected = Measurements(leads: truth.leads, rhythm: truth.rhythm, sampleRate: ECGSignal.sampleRate)
        let read = Measurements(page.ecg)
        // A lead with no whole normal beat in its 2.5 s (premature beats, fibrillation) has no median beat.
        #expect(read.leads.count >= 6 && expected.leads.count >= 6)
        var polarityAgreements = 0, polarityCompared = 0, qAgreements = 0
        for r in read.leads {
            guard let e = expected.leads.first(where: { $0.lead == r.lead }) else { continue }
            #expect(abs(r.stDeviation - e.stDeviation) < 0.06, "\(label) \(index) \(r.lead) ST \(r.stDeviation) vs \(e.stDeviation)")
            #expect(abs(r.tAmplitude - e.tAmplitude) < 0.1, "\(label) \(index) \(r.lead) T \(r.tAmplitude) vs \(e.tAmplitude)")
            if abs(r.qDepth - e.qDepth) < 0.1 { qAgreements += 1 }
            if abs(e.tAmplitude) > 0.1 { polarityCompared += 1; if r.tPolarity == e.tPolarity { polarityAgreements += 1 } }
        }
        // Q depth is the most fragile reading: a small initial notch decides between a Q wave and none.
        #expect(qAgreements >= 7, "\(label) \(index): Q depth agrees in \(qAgreements) leads")
        #expect(polarityAgreements == polarityCompared)
    }

    @Test("acute infarcts show ST elevation (over 0.1 mV) in some lead")
    func stElevation() throws {
        for index in 1...3 {
            let mi = Measurements(try DigitisedPage.make(.myocardialInfarction, index: index).ecg)
            #expect(mi.leads.map(\.stDeviation).max()! > 0.1, "MI page \(index): \(mi.leads.map(\.stDeviation))")
        }
    }

    @Test("the feature vector has one value per name, all finite")
    func features() throws {
        let m = Measurements(try DigitisedPage.make(.abnormalHeartbeat, index: 1).ecg)
        #expect(m.featureVector.count == Measurements.featureNames.count)
        #expect(m.featureVector.allSatisfy { $0.isFinite })
        #expect(Set(Measurements.featureNames).count == Measurements.featureNames.count)
    }

    /// The tolerances, stated once: beats within 30 ms, rate within 3/min, PR within 30 ms, QRS of a
    /// sinus beat 60–120 ms, QTc within 50 ms of the generator's 385 ms (its QT is
    /// 0.4 √RR to the T peak plus 2.5 widths of the T's fall, 15 ms short of 0.4 √RR), axis within 20°; all
    /// widened by `tolerance` for digitised signals.
    func check(_ m: Measurements, against sidecar: PageSidecar, tolerance: Double) {
        let p = sidecar.signal
        let context = "\(sidecar.label) \(sidecar.index)"
        // Beats: every generated beat away from the ends is found, and nothing else.
        let interior = sidecar.beats.filter { $0.time > 0.15 && $0.time < 9.85 }
        for beat in interior {
            #expect(m.beatTimes.contains { abs($0 - beat.time) < 0.03 * tolerance }, "\(context): beat at \(beat.time) missed; found \(m.beatTimes)")
        }
        #expect(m.beatTimes.count <= sidecar.beats.count, "\(context): \(m.beatTimes.count) beats for \(sidecar.beats.count)")
        let times = sidecar.beats.map(\.time)
        if let first = times.first, let last = times.last, times.count > 2, let rate = m.heartRate {
            #expect(abs(rate - 60 * Double(times.count - 1) / (last - first)) < 3 * tolerance, "\(context): rate \(rate)")
        }
        // Ectopic beats: premature beats are flagged; regular rhythms have none.
        for beat in interior where beat.kind == .prematureAtrial || beat.kind == .prematureVentricular {
            #expect(m.ectopicBeatTimes.contains { abs($0 - beat.time) < 0.05 }, "\(context): ectopic beat at \(beat.time) not flagged")
        }
        let regular = p.arrhythmia == nil || p.arrhythmia == .bradycardia || p.arrhythmia == .tachycardia || p.arrhythmia == .firstDegreeAVBlock
        if regular { #expect(m.ectopicBeatTimes.isEmpty, "\(context): ectopic \(m.ectopicBeatTimes)") }
        // Intervals are checked on sinus rhythm up to 100/min: the P search (300 ms before the QRS)
        // misses a first-degree block's P and meets the previous T wave in tachycardia.
        guard p.arrhythmia == nil || p.arrhythmia == .bradycardia else { return }
        if let pr = m.prInterval {
            #expect(abs(pr - p.prInterval) < 0.03 * tolerance, "\(context): PR \(pr) vs \(p.prInterval)")
        } else {
            Issue.record("\(context): no PR interval")
        }
        if let qrs = m.qrsDuration { #expect(qrs > 0.06 && qrs < 0.12 * tolerance, "\(context): QRS \(qrs)") } else { Issue.record("\(context): no QRS") }
        if let qtc = m.qtcInterval { #expect(abs(qtc - 0.385) < 0.05 * tolerance, "\(context): QTc \(qtc)") } else { Issue.record("\(context): no QTc") }
        if sidecar.label == .normal, let axis = m.qrsAxis {
            #expect(abs(axis - p.qrsAxis) < 20 * tolerance, "\(context): axis \(axis) vs \(p.qrsAxis)")
        }
    }
}
