import Foundation
import ImageIO
@testable import Server
import Synth
import Testing

/// The bounds of ``PageMeasurer``: `timed_out` past its timeout and `busy` past its concurrency,
/// both as statuses in the answer rather than errors.
@Suite("Page measurer bounds")
struct PageMeasurerTests {
    @Test("A page that takes longer than the timeout answers timed_out")
    func timeout() async throws {
        let page = Array(try SyntheticPage.make(.normal, seed: 31, index: 2, options: PageOptions(width: 1106, height: 786)).file)
        // Decoding, checking and digitising this page takes 0.3 s or more on the Intel VMs, but
        // under 50 ms on a Zen 5 one (where a 0.05 s timeout did not fire): 1 ms is less than the
        // decoding alone.
        let measurer = PageMeasurer(timeout: 0.001)
        let answer = await measurer.measure(page, overlay: false)
        #expect(answer.status == .timedOut && answer.refused)
        #expect(answer.reason?.contains("longer than 0.001 s") == true)
        #expect(answer.heartRate == nil)
    }

    @Test("With maxConcurrent pages in progress, a page answers busy without being read; a free slot measures it")
    func busy() async throws {
        let page = Array(try SyntheticPage.make(.normal, seed: 31, index: 2, options: PageOptions(width: 1106, height: 786)).file)
        let measurer = PageMeasurer(maxConcurrent: 1)
        #expect(measurer.running.increment(below: 1))  // the one slot, taken
        let refused = await measurer.measure(page, overlay: false)
        #expect(refused.status == .busy && refused.refused)
        #expect(refused.reason?.contains("being measured already") == true)
        measurer.running.decrement()
        #expect(await measurer.measure(page, overlay: false).status == .measured)
    }
}
