@testable import Server
import Testing

/// The shared rate at which refused bodies are read and dropped (``UnreadBodyHandler``).
@Suite("Hardening: refused bodies are read at a bounded rate")
struct HardeningDiscardTests {
    @Test("The byte rate gives a second's worth at once, then refuses until it refills")
    func byteRate() {
        let rate = ByteRate(bytesPerSecond: 1_000)
        #expect(rate.take(600))
        #expect(rate.take(400))
        #expect(!rate.take(600), "a second's worth was taken; 600 more need 0.6 s")
        #expect(!rate.take(2_000), "never more than a second's worth")
        #expect(RequestBudget().maxDiscardedBytesPerSecond >= RequestBudget().maxBodyBytes,
                "a lone refused upload of the largest size is read in full, so its client reads the answer")
    }
}
