@testable import Synth
import Determinism
import Testing

@Suite("Simulated 12-lead signals")
struct SignalTests {
    @Test("the same seed gives the same recording; another seed another")
    func deterministic() {
        let p = parameters(.abnormalHeartbeat, seed: 4) { $0.noise = NoiseLevels(baselineWander: 0.1, mainsHum: 0.01, muscle: 0.02) }
        #expect(simulate(p, seed: 9).leads == simulate(p, seed: 9).leads)
        #expect(simulate(p, seed: 9).leads != simulate(p, seed: 10).leads)
    }

    @Test("limb leads obey Einthoven's and Goldberger's relations, noise included", arguments: ECGClass.allCases)
    func limbLeadRelations(label: ECGClass) {
        var p = parameters(label, seed: 2)
        p.noise = NoiseLevels(baselineWander: 0.2, mainsHum: 0.05, muscle: 0.05)
        let s = simulate(p)
        #expect(s.leads.count == 12 && s.leads.allSatisfy { $0.count == 5000 })
        var worst: Float = 0
        for t in 0..<ECGSignal.sampleCount {
            let (i, ii) = (s[.i][t], s[.ii][t])
            worst = max(worst, abs(s[.iii][t] - (ii - i)), abs(s[.aVR][t] + (i + ii) / 2),
                        abs(s[.aVL][t] - (i - ii / 2)), abs(s[.aVF][t] - (ii - i / 2)))
        }
        #expect(worst < 1e-5)
    }

    @Test("precordial R waves grow and S waves shrink from V1 to V6", arguments: 1...6 as ClosedRange<UInt64>)
    func precordialProgression(seed: UInt64) {
        let s = simulate(parameters(.normal, seed: seed))
        func ratio(_ lead: Lead) -> Double {
            let samples = s[lead].map(Double.init)
            return samples.max()! / -samples.min()!
        }
        #expect(ratio(.v1) < 1, "V1 is mostly negative (rS)")
        #expect(ratio(.v6) > 1, "V6 is mostly positive (qR)")
        #expect(ratio(.v1) < ratio(.v3) && ratio(.v3) < ratio(.v6))
    }

    @Test("acute infarction raises ST in the territory's leads and depresses it opposite", arguments: Territory.allCases)
    func stElevation(territory: Territory) {
        for seed in 1...4 as ClosedRange<UInt64> {
            let s = simulate(parameters(.myocardialInfarction, seed: seed) { $0.territory = territory })
            for lead in territory.facingLeads {
                #expect(s.stLevel(lead, offset: 0.08) > 0.08, "\(lead) should be elevated (seed \(seed))")
            }
            for lead in territory.reciprocalLeads {
                #expect(s.stLevel(lead, offset: 0.08) < -0.02, "\(lead) should be depressed (seed \(seed))")
            }
            let normal = simulate(parameters(.normal, seed: seed))
            #expect(territory.facingLeads.allSatisfy { abs(normal.stLevel($0, offset: 0.08)) < 0.08 })
        }
    }

    @Test("old infarction has Q waves in the territory's leads and an isoelectric ST segment", arguments: Territory.allCases)
    func pathologicalQ(territory: Territory) {
        let s = simulate(parameters(.historyOfMyocardialInfarction, seed: 3) {
            $0.territory = territory
            $0.qWaveDepth = 0.6
            $0.tInversion = 0.3
        })
        let qDepths = territory.facingLeads.map { lead in
            s.beats.compactMap { beat in (0...30).compactMap { s.value(lead, at: beat.time - 0.06 + Double($0) / 500) }.min() }
                .reduce(0, +) / Double(s.beats.count)
        }
        #expect(qDepths.allSatisfy { $0 < -0.1 }, "Q depths \(qDepths)")
        for lead in Lead.allCases { #expect(abs(s.stLevel(lead, offset: 0.06)) < 0.06, "\(lead)") }
    }

    @Test("atrial fibrillation has irregular RR intervals and no P waves")
    func atrialFibrillation() {
        let af = simulate(parameters(.abnormalHeartbeat, seed: 5) { $0.arrhythmia = .atrialFibrillation; $0.heartRate = 60 })
        let sinus = simulate(parameters(.abnormalHeartbeat, seed: 5) { $0.arrhythmia = nil; $0.heartRate = 60 })
        #expect(af.beats.allSatisfy { $0.kind == .fibrillation })
        #expect(variation(af.rrIntervals) > 0.12)
        #expect(variation(sinus.rrIntervals) < 0.08)
        func pWaves(_ s: ECGSignal) -> [Double] { s.beats.filter { $0.time > 0.25 }.map { s.peak(.ii, from: $0.time - 0.2, to: $0.time - 0.08) } }
        #expect(pWaves(af).allSatisfy { $0 < 0.07 }, "\(pWaves(af))")
        #expect(pWaves(sinus).allSatisfy { $0 > 0.09 }, "\(pWaves(sinus))")
    }

    @Test("premature ventricular beats come early, wide, and before a compensatory pause")
    func prematureVentricularBeats() {
        let s = simulate(parameters(.abnormalHeartbeat, seed: 6) { $0.arrhythmia = .prematureVentricularBeats; $0.severity = 1 })
        let ectopic = s.beats.indices.filter { s.beats[$0].kind == .prematureVentricular }
        let sinusWidths = s.beats.filter { $0.kind == .sinus && $0.time > 0.2 && $0.time < 9.8 }.map(s.qrsWidth)
        #expect(ectopic.count >= 2)
        #expect(sinusWidths.allSatisfy { $0 < 0.07 }, "\(sinusWidths)")
        let meanRR = 60 / s.parameters.heartRate
        for index in ectopic where index > 0 && index < s.beats.count - 1 {
            #expect(s.qrsWidth(s.beats[index]) > 0.1)
            let before = s.beats[index].time - s.beats[index - 1].time, after = s.beats[index + 1].time - s.beats[index].time
            #expect(before < 0.75 * meanRR && after > 1.1 * meanRR)
        }
    }

    @Test("random draws keep each condition in its range")
    func parameterRanges() {
        var rng = SplitMix64(seed: 8)
        var territories = Set<Territory>(), arrhythmias = Set<Arrhythmia>()
        for _ in 0..<300 {
            let label = rng.pick(ECGClass.allCases)
            let p = SignalParameters.random(for: label, using: &rng)
            #expect((0...1).contains(p.severity))
            if let t = p.territory { territories.insert(t) }
            switch p.arrhythmia {
            case .bradycardia?: #expect(p.heartRate < 55)
            case .tachycardia?: #expect(p.heartRate > 105)
            case .firstDegreeAVBlock?: #expect(p.prInterval > 0.2)
            case let other?: arrhythmias.insert(other)
            case nil: #expect(label != .abnormalHeartbeat && p.prInterval <= 0.2)
            }
            #expect((label == .myocardialInfarction) == (p.stElevation > 0))
            #expect(label != .historyOfMyocardialInfarction || p.qWaveDepth > 0 || p.tInversion > 0)
        }
        #expect(territories.count == 3 && arrhythmias.count == 3)
    }
}
