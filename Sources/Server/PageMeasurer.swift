import Digitise
import Dispatch
import Foundation
import ImageIO
import Inference

/// Digitises and measures pages for `measure=1`, off the event loops and Swift's cooperative
/// pool (on a thread per page, as the models run on threads of their own), with two bounds: at most `maxConcurrent`
/// pages at once (more answer `busy` at once), and an answer within `timeout` (`timed_out`;
/// the work then finishes in the background and keeps its slot until it does). Every outcome is
/// a ``MeasurementsResponse``: measuring never makes a request fail.
final class PageMeasurer: Sendable {
    let maxConcurrent: Int
    let timeout: Double
    /// The decoder's limits: the server's (the worker has decoded the image under them already).
    let limits: ImageDecoder.Limits
    /// Images wider or taller than this are scaled down first: the grid is still many pixels a
    /// millimetre, and digitising time grows with the pixels.
    static let maxSide = 2400
    /// The overlay returned is at most this wide (its lines stay visible).
    static let overlayWidth = 1400
    /// Pages being digitised now.
    let running = Counter()

    init(limits: ImageDecoder.Limits = .init(), maxConcurrent: Int = 2, timeout: Double = 20) {
        self.limits = limits
        self.maxConcurrent = maxConcurrent
        self.timeout = timeout
    }

    /// Measures the page in `data` (a JPEG or PNG the worker has already decoded), turned
    /// upright as the page check turns it.
    /// - Parameter overlay: Also return the page with the traces drawn over it, as a PNG.
    func measure(_ data: [UInt8], overlay: Bool) async -> MeasurementsResponse {
        guard running.increment(below: maxConcurrent) else {
            return MeasurementsResponse(status: .busy, reason: "\(maxConcurrent) pages are being measured already; try again shortly")
        }
        let once = Once()
        return await withCheckedContinuation { continuation in
            // A thread of its own: Dispatch's global pool, which the inference workers' decoding
            // shares, may be busy, and a queued page would then wait past its timeout.
            let thread = Thread { [running, limits] in
                let answer = Self.run(data, limits: limits, overlay: overlay)
                running.decrement()
                if once.claim() { continuation.resume(returning: answer) }
            }
            thread.name = "measure-page"
            thread.start()
            // The timeout fires on the server's timer thread (`DeadlineTimer`): Dispatch's and
            // Swift's pools may be busy, and a timer on either fired seconds late under load.
            DeadlineTimer.shared.schedule(after: timeout) { [timeout] in
                if once.claim() {
                    continuation.resume(returning: MeasurementsResponse(
                        status: .timedOut, reason: "digitising the page took longer than \(timeout < 1 ? String(timeout) : String(Int(timeout))) s"))
                }
            }
        }
    }

    /// Decodes, turns upright, digitises and measures, on the caller's thread.
    static func run(_ data: [UInt8], limits: ImageDecoder.Limits, overlay: Bool) -> MeasurementsResponse {
        let started = DispatchTime.now()
        do {
            var image = try InputGate().examined(ImageDecoder.decode(data, limits: limits), enforce: false).image
            let scale = Double(maxSide) / Double(max(image.width, image.height))
            if scale < 1 {
                image = image.resized(width: Int(Double(image.width) * scale), height: Int(Double(image.height) * scale), filter: .bilinear)
            }
            let ecg = try Digitiser.digitise(image)
            let measured = Measurements(ecg)
            var png: [UInt8]?
            if overlay {
                var drawn = ecg.overlay(on: image)
                if drawn.width > overlayWidth {
                    drawn = drawn.resized(width: overlayWidth, height: drawn.height * overlayWidth / drawn.width, filter: .bilinear)
                }
                png = (try? ImageEncoder.png(drawn)).map { Array($0) }
            }
            return MeasurementsResponse(ecg, measured, overlayPNG: png, milliseconds: DispatchTime.now().milliseconds(since: started))
        } catch let error as DigitiseError {
            return MeasurementsResponse(status: .refused, reason: error.description)
        } catch {
            return MeasurementsResponse(status: .refused, reason: "the image could not be read: \(error)")
        }
    }
}

/// A count of work in progress, below a bound.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0  // guarded by `lock`
    /// Counts one more unless the count is `bound` already; whether it did.
    func increment(below bound: Int) -> Bool {
        lock.withLock {
            guard value < bound else { return false }
            value += 1
            return true
        }
    }
    func decrement() { lock.withLock { value -= 1 } }
}

/// A flag that lets exactly one of several racers through.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false  // guarded by `lock`
    func claim() -> Bool {
        lock.withLock {
            defer { taken = true }
            return !taken
        }
    }
}
