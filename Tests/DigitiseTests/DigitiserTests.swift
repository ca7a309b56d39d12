import Digitise
import Foundation
import ImageIO
import Synth
import Testing

@Suite("Digitising synthetic report pages")
struct DigitiserTests {
    @Test("every lead is read back close to the generator's signal", arguments: ECGClass.allCases)
    func leadsMatchTruth(label: ECGClass) throws {
        let page = try DigitisedPage.make(label, index: 1)
        let scores = page.scores()
        for score in scores {
            #expect(score.correlation > 0.8, "\(label) \(score.lead): r = \(score.correlation)")
            #expect(score.snr > 5, "\(label) \(score.lead): SNR = \(score.snr) dB")
        }
        #expect(median(scores.map(\.correlation)) > 0.92)
        #expect(median(scores.map(\.snr)) > 8)
        #expect(page.ecg.rhythm.name == page.page.sidecar.style.rhythmLead.rawValue)
        #expect((page.ecg.leads + [page.ecg.rhythm]).allSatisfy { $0.readable })
    }

    @Test("the grid, the time scale and the gain are measured within 1 %", arguments: [(1106, 786), (2213, 1572)])
    func scales(width: Int, height: Int) throws {
        let page = try DigitisedPage.make(.normal, index: 2, options: PageOptions(width: width, height: height))
        let sidecar = page.page.sidecar
        let layout = page.ecg.layout
        #expect(abs(layout.pixelsPerMillimetre / sidecar.pixelsPerMillimetre - 1) < 0.01)
        #expect(abs(layout.pixelsPerSecond / sidecar.pixelsPerSecond - 1) < 0.01)
        #expect(layout.pulsesFound == [true, true, true, true])
        for panel in layout.panels {
            #expect(abs(panel.pixelsPerMillivolt / sidecar.pixelsPerMillivolt - 1) < 0.02)
        }
        // Each panel starts where the generator put the lead, and its baseline is the lead's 0 mV line.
        for (panel, truth) in zip(layout.panels, sidecar.leads) {
            #expect(abs(panel.left - truth.corners[0][0]) < 2, "\(truth.lead) left \(panel.left) vs \(truth.corners[0][0])")
            #expect(abs(panel.baselineY - truth.baseline[0][1]) < 1.5, "\(truth.lead) baseline \(panel.baselineY) vs \(truth.baseline[0][1])")
        }
    }

    @Test("pages without a report grid or too small are refused with a reason")
    func refusals() throws {
        let blank = RGBImage(width: 800, height: 600, pixels: [UInt8](repeating: 255, count: 800 * 600 * 3))
        #expect(throws: DigitiseError.self) { try Digitiser.digitise(blank) }
        let tiny = RGBImage(width: 300, height: 200, pixels: [UInt8](repeating: 255, count: 300 * 200 * 3))
        #expect(throws: DigitiseError.imageTooSmall(width: 300, height: 200)) { try Digitiser.digitise(tiny) }
        // Half a page: the grid is half as wide as the report's, so the layout is not the 3x4+1.
        let page = try SyntheticPage.make(.normal, seed: 3, index: 1, options: DigitisedPage.reportSize)
        let half = page.image.cropped(x: 0, y: 0, width: 600, height: page.image.height)
        do {
            _ = try Digitiser.digitise(half)
            Issue.record("half a page was digitised")
        } catch {
            guard case .unsupportedLayout = error else { Issue.record("expected unsupportedLayout, got \(error)"); return }
        }
    }

    @Test("a grid with no traces says the trace could not be extracted")
    func gridWithoutTraces() throws {
        // The page with its ink (darker than the grid) painted over in paper white.
        let page = try SyntheticPage.make(.normal, seed: 4, index: 1, options: DigitisedPage.reportSize)
        var pixels = page.image.pixels
        for i in stride(from: 0, to: pixels.count, by: 3) where Int(pixels[i]) + Int(pixels[i + 1]) + Int(pixels[i + 2]) < 3 * 90 {
            (pixels[i], pixels[i + 1], pixels[i + 2]) = (255, 255, 255)
        }
        let erased = RGBImage(width: page.image.width, height: page.image.height, pixels: pixels)
        do {
            _ = try Digitiser.digitise(erased)
            Issue.record("a page without traces was digitised")
        } catch {
            guard case .traceNotFound = error else { Issue.record("expected traceNotFound, got \(error)"); return }
        }
    }
}
