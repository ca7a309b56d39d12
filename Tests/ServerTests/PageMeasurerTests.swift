import Foundation
import ImageIO
@testable import Server
import Synth
import Testing

/// The bounds of ``PageMeasurer``: an answer within its timeout, and `busy` past its concurrency,
/// both as statuses in the answer rather than errors.
@Suite("Page measurer bounds")
struct PageMeasurerTests {
    @Test("A page that takes longer than the timeout answers timed_out, at once")
    func timeout() async throws {
        let page = Array(try SyntheticPage.make(.normal, seed: 31, index: 2, options: PageOptions(width: 1106, height: 786)).file)
        let measurer = PageMeasurer(timeout: 0.05)
        let started = Date()
        let answer = await measurer.measure(page, overlay: false)
        #expect(answer.status == .timedOut && answer.refused)
        #expect(answer.reason?.contains("longer than") == true)
        #expect(Date().timeIntervalSince(started) < 1)
    }

    @Test("Past maxConcurrent pages in progress, a page answers busy")
    func busy() async throws {
        let page = Array(try SyntheticPage.make(.normal, seed: 31, index: 2, options: PageOptions(width: 1106, height: 786)).file)
        // One slot, taken by a page whose answer is abandoned after 50 ms while its work goes on.
        let measurer = PageMeasurer(maxConcurrent: 1, timeout: 0.05)
        #expect(await measurer.measure(page, overlay: false).status == .timedOut)
        let second = await measurer.measure(page, overlay: false)
        #expect(second.status == .busy && second.refused)
    }
}
