import Foundation
import ImageIO

/// Every resource limit a request meets, in one place, with its default. Each refusal is a 4xx
/// (or, for the shared budgets, a 503 with `Retry-After`) JSON answer with its own code; the
/// table of them is in docs/hardening.md.
///
/// The limits are checked as early as the data allows: the body size from `Content-Length`
/// before reading it, form fields while splitting the body, the image's pixels and scans from
/// its header and markers before decoding it.
public struct RequestBudget: Sendable, Equatable {
    /// The longest request line, and the most bytes of headers (414 `uri_too_long`, 431
    /// `headers_too_large`, answered by ``HTTPParseErrorHandler``).
    public var maxHeaderBytes = 32_768
    /// The largest request body (413 `payload_too_large`).
    public var maxBodyBytes = 20_000_000
    /// The most bytes of request bodies held in memory at once, across all requests: an upload
    /// that would pass it is refused before its body is read (503 `server_busy`).
    public var maxBufferedBytes = 100_000_000
    /// The most bytes per second, across all connections, of refused requests' bodies (answered
    /// before the body was read: 413, 503) read and dropped so that clients that send the whole
    /// body before reading still read the answer. A connection whose bytes find the rate spent is
    /// closed, and its client sees a reset (clients that send `Expect: 100-continue` get the
    /// answer before sending). A lone refused 20 MB upload is read in full; a flood of them is
    /// not, as every byte read costs the event loops CPU (``UnreadBodyHandler``).
    public var maxDiscardedBytesPerSecond = 32_000_000
    /// The most uploads read at once (503 `server_busy`).
    public var maxConcurrentUploads = 32
    /// The largest url-encoded body: such a form only names a sample (413 `payload_too_large`).
    public var maxURLEncodedBytes = 16_384
    /// The most fields in a form (400 `too_many_fields`).
    public var maxFormFields = 16
    /// The longest field name, and the longest header block of a multipart part (400 `field_too_long`).
    public var maxFieldNameBytes = 256
    public var maxPartHeaderBytes = 8_192
    /// Pixels, scans and pixels x scans of one image (422 `image_too_large`, `too_many_scans`).
    public var image = ImageDecoder.Limits()
    /// The most pixels decoded at once across all models, which bounds decoding memory (about 8
    /// bytes a pixel at the peak): an image whose decoding would pass it waits for others to
    /// finish. Never below `image.maxPixels`, so that one image of the largest size still fits.
    public var maxDecodingPixels = 48_000_000
    /// An image over this many pixels is large: more than an ECG page needs (about 3.5 MP; a
    /// 300-dpi letter scan is 8.4 MP, a phone photo 12). Large images are classified one at a
    /// time, after the small ones waiting with them.
    public var largeImagePixels = 6_000_000
    /// The most large images waiting or decoding at once, across all models (503 `server_busy`
    /// past it, before the image queues). Two of the largest size take 32 MP of
    /// ``maxDecodingPixels``' 48, so pages always find room to decode.
    public var maxLargeImages = 2
    /// The longest a large image may wait in its model's queue before its decoding starts (503
    /// `server_busy` past it). Under load the compute threads wait for a CPU behind the HTTP side
    /// (``ComputePriority``), and a large image is the first work to shed: its client hears at
    /// once that it should retry rather than after seconds.
    public var maxLargeImageWaitSeconds = 1.0
    /// The longest a large image's client waits for its answer, from the moment it queues (503
    /// `server_busy` past it). A large image admitted just inside its wait bound may then take
    /// more than a second to decode on a loaded machine; its client is answered at this bound
    /// while the decoding finishes unseen, still holding its place among ``maxLargeImages``.
    public var maxLargeImageSeconds = 1.5

    public init() {}
}

/// Admission for request bodies: how many uploads are being read and how many bytes they may
/// hold, against ``RequestBudget/maxConcurrentUploads`` and ``RequestBudget/maxBufferedBytes``.
/// A request reserves its declared length (or the body limit when it declares none) before its
/// body is read, and releases it when its answer is made.
public final class UploadGate: @unchecked Sendable {
    private let lock = NSLock()
    private let maxUploads: Int
    private let maxBytes: Int
    // Guarded by `lock`:
    private var uploads = 0
    private var bytes = 0

    public init(maxUploads: Int, maxBytes: Int) {
        self.maxUploads = maxUploads
        self.maxBytes = maxBytes
    }

    /// Reserves room for a body of `count` bytes, until the reservation is released.
    /// - Throws: ``APIError/serverBusy(_:)`` when too many uploads or bytes are in flight.
    public func reserve(_ count: Int) throws(APIError) -> UploadReservation {
        lock.lock()
        defer { lock.unlock() }
        guard uploads < maxUploads else { throw .serverBusy("\(maxUploads) uploads are being read or classified") }
        guard bytes + count <= maxBytes else { throw .serverBusy("the uploads in progress fill the server's buffer") }
        uploads += 1
        bytes += count
        return UploadReservation(gate: self, bytes: count)
    }

    fileprivate func release(_ count: Int) {
        lock.withLock {
            uploads -= 1
            bytes -= count
        }
    }

    /// Uploads and bytes reserved now.
    public var inFlight: (uploads: Int, bytes: Int) { lock.withLock { (uploads, bytes) } }
}

/// Room taken in an ``UploadGate``, given back when the last reference goes: a
/// ``PredictForm`` holds it, so an upload's bytes count until its answer is made.
public final class UploadReservation: Sendable {
    private let gate: UploadGate
    public let bytes: Int

    fileprivate init(gate: UploadGate, bytes: Int) {
        self.gate = gate
        self.bytes = bytes
    }

    deinit { gate.release(bytes) }
}

/// The pixels being decoded at once across every model's worker, against
/// ``RequestBudget/maxDecodingPixels``, and the large images admitted, against
/// ``RequestBudget/maxLargeImages``. Workers run on threads of their own, so waiting here
/// blocks neither the event loops nor Swift's cooperative pool.
public final class PixelBudget: @unchecked Sendable {
    private let condition = NSCondition()
    public let capacity: Int
    /// Images over this many pixels are large (see ``RequestBudget/largeImagePixels``).
    public let largeImagePixels: Int
    /// The most large images admitted at once.
    public let maxLargeImages: Int
    /// How long an admitted large image may wait for its decoding to start, in seconds.
    public let maxLargeImageWaitSeconds: Double
    /// How long an admitted large image's client may wait for its answer, in seconds.
    public let maxLargeImageSeconds: Double
    // Guarded by `condition`:
    private var used = 0
    private var largeImages = 0

    /// - Parameters:
    ///   - capacity: The most pixels decoded at once.
    ///   - largeImagePixels: Images over this many pixels are large; by default none is.
    ///   - maxLargeImages: The most large images admitted at once.
    ///   - maxLargeImageWaitSeconds: How long an admitted large image may wait for its decoding
    ///     to start; by default without end.
    ///   - maxLargeImageSeconds: How long an admitted large image's client may wait for its
    ///     answer, decoding included; by default without end.
    public init(
        capacity: Int, largeImagePixels: Int = .max, maxLargeImages: Int = .max, maxLargeImageWaitSeconds: Double = .infinity,
        maxLargeImageSeconds: Double = .infinity
    ) {
        self.capacity = capacity
        self.largeImagePixels = largeImagePixels
        self.maxLargeImages = maxLargeImages
        self.maxLargeImageWaitSeconds = maxLargeImageWaitSeconds
        self.maxLargeImageSeconds = maxLargeImageSeconds
    }

    /// The budget `budget` describes.
    public convenience init(_ budget: RequestBudget) {
        self.init(
            capacity: max(budget.maxDecodingPixels, budget.image.maxPixels), largeImagePixels: budget.largeImagePixels,
            maxLargeImages: budget.maxLargeImages, maxLargeImageWaitSeconds: budget.maxLargeImageWaitSeconds,
            maxLargeImageSeconds: budget.maxLargeImageSeconds)
    }

    /// Admits an image of `pixels` to wait for decoding: nil for a small image (always
    /// admitted), a place to hold until the image is done for a large one.
    /// - Throws: ``APIError/serverBusy(_:)`` when `maxLargeImages` large images are admitted already.
    public func admit(pixels: Int) throws(APIError) -> LargeImageAdmission? {
        guard pixels > largeImagePixels else { return nil }
        condition.lock()
        defer { condition.unlock() }
        guard largeImages < maxLargeImages else {
            let megapixels = String(format: "%g", Double(largeImagePixels) / 1e6)
            throw .serverBusy("\(maxLargeImages) images over \(megapixels) MP are being classified; send a smaller one or retry")
        }
        largeImages += 1
        return LargeImageAdmission(budget: self)
    }

    fileprivate func dismiss() {
        condition.withLock { largeImages -= 1 }
    }

    /// Large images admitted now.
    public var largeImagesAdmitted: Int { condition.withLock { largeImages } }

    /// Waits until `pixels` (at most the capacity) fit, then takes them.
    public func acquire(_ pixels: Int) {
        let pixels = min(pixels, capacity)
        condition.lock()
        while used + pixels > capacity { condition.wait() }
        used += pixels
        condition.unlock()
    }

    public func release(_ pixels: Int) {
        condition.withLock {
            used -= min(pixels, capacity)
            condition.broadcast()
        }
    }

    /// Pixels taken now.
    public var inUse: Int { condition.withLock { used } }
}

/// A large image's place in a ``PixelBudget``, given back when the last reference goes (the
/// worker's job holds it until the image is classified or refused).
public final class LargeImageAdmission: Sendable {
    private let budget: PixelBudget

    fileprivate init(budget: PixelBudget) {
        self.budget = budget
    }

    deinit { budget.dismiss() }
}
