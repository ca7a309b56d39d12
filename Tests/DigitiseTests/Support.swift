import Digitise
import Foundation
import ImageIO
import Synth

/// A generated page digitised, with the generator's true signals beside what was read.
struct DigitisedPage {
    let page: SyntheticPage
    let ecg: DigitisedECG

    /// The reports' own resolution (about 3.9 px/mm), where a page takes a fraction of a second.
    static let reportSize = PageOptions(width: 1106, height: 786)

    static func make(_ label: ECGClass, index: Int, seed: UInt64 = 12, options: PageOptions = reportSize) throws -> DigitisedPage {
        let page = try SyntheticPage.make(label, seed: seed, index: index, options: options)
        let image = try ImageDecoder.decode(page.file)
        return DigitisedPage(page: page, ecg: try Digitiser.digitise(image))
    }

    /// The true samples behind a digitised lead: the same lead over the same seconds.
    func truth(_ lead: DigitisedLead) -> [Float] {
        let first = Int((lead.startSeconds * ECGSignal.sampleRate).rounded())
        return Array(page.signal[Lead(rawValue: lead.name)!][first..<(first + lead.samples.count)])
    }

    /// Per lead (the twelve, then the rhythm strip): SNR in dB and Pearson correlation against the truth.
    func scores() -> [(lead: String, snr: Double, correlation: Double)] {
        (ecg.leads + [ecg.rhythm]).map { lead in
            let truth = truth(lead)
            return (lead.name, SignalMath.snr(truth: truth, estimate: lead.samples), SignalMath.correlation(truth, lead.samples))
        }
    }

    /// The generator's signals cut as the page shows them, as digitised leads (for measuring the truth).
    var trueLeads: (leads: [DigitisedLead], rhythm: DigitisedLead) {
        let leads = ecg.leads.map { DigitisedLead(name: $0.name, startSeconds: $0.startSeconds, samples: truth($0)) }
        return (leads, DigitisedLead(name: ecg.rhythm.name, startSeconds: 0, samples: page.signal[page.sidecar.style.rhythmLead]))
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
