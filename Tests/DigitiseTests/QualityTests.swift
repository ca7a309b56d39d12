import Digitise
import Foundation
import ImageIO
import Synth
import Testing

/// The plausibility check (`TraceQuality`): rotated or perspective-warped generated pages whose
/// grid and layout were still found, and whose traces were misread, are refused with
/// `implausibleTrace`; clean pages pass it with room to spare.
@Suite("Trace quality check")
struct QualityTests {
    /// Pages of seed 2024 with rotation and perspective that pass the grid and layout checks
    /// (found by the opt-in `QualityProbe`), with the rhythm-strip match or drift that fails them.
    static let warpedPages = [3, 37, 47, 74]

    @Test("Warped pages that pass detection are misread, and refused as implausible", arguments: warpedPages)
    func warpedRefused(index: Int) throws {
        let page = try SyntheticPage.make(ECGClass.allCases[index % 4], seed: 2024, index: index,
                                          options: PageOptions(width: 1106, height: 786, artefacts: [.rotation, .perspective]))
        let image = try ImageDecoder.decode(page.file)
        // Read without the check: the traces are noise against the truth...
        let unchecked = try Digitiser.digitise(image, checkQuality: false)
        let r = median(DigitisedPage(page: page, ecg: unchecked).scores().map(\.correlation))
        #expect(r < 0.7, "median r \(r): this page was read well, so refusing it would be wrong")
        #expect(unchecked.quality.problem != nil)
        // ...and with it (the default) the page is refused, saying why.
        #expect {
            try Digitiser.digitise(image)
        } throws: { error in
            guard let error = error as? DigitiseError, case .implausibleTrace(let why) = error else { return false }
            return why.contains("rotated")
        }
    }

    @Test("Clean pages pass the check with a margin: rhythm strip r over 0.9, drift under 0.3 mV")
    func cleanPass() throws {
        for index in 0..<6 {
            let read = try DigitisedPage.make(ECGClass.allCases[index % 4], index: index, seed: 77)
            #expect(read.ecg.quality.problem == nil)
            #expect(read.ecg.quality.rhythmMatch > 0.9)
            #expect(read.ecg.quality.baselineDrift < 0.3)
        }
    }
}
