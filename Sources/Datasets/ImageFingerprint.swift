import Dispatch
import Foundation
import ImageIO

/// What tells two image files apart: the SHA-256 of the file's bytes, the SHA-256 of its decoded
/// pixels (the same picture saved twice, or as PNG and as JPEG losslessly, has one) and a
/// perceptual hash (the same picture re-encoded, rescaled or touched up has a close one).
public struct ImageFingerprint: Hashable, Sendable {
    /// SHA-256 of the file, hex.
    public let fileSHA256: String
    /// SHA-256 of the decoded pixels (width and height as 8 bytes each, then the RGB samples), hex.
    public let pixelSHA256: String
    /// The difference hash of the ink (see ``PerceptualHash``).
    public let perceptualHash: PerceptualHash
    /// The decoded size in pixels.
    public let width: Int, height: Int

    /// Reads, hashes and decodes one file.
    ///
    /// - Throws: ``DatasetError/unreadableImage(_:reason:)`` naming the file when it cannot be
    ///   read or decoded.
    public init(contentsOf url: URL) throws(DatasetError) {
        let (bytes, image) = try readImage(url)
        self.init(fileBytes: bytes, image: image)
    }

    /// Fingerprints an already decoded file.
    public init(fileBytes: Data, image: RGBImage) {
        fileSHA256 = SHA256.hex(fileBytes)
        var pixels = SHA256()
        for dimension in [image.width, image.height] {
            pixels.update((0..<8).map { UInt8(truncatingIfNeeded: UInt64(dimension) >> (8 * UInt64($0))) })
        }
        pixels.update(image.pixels)
        pixelSHA256 = pixels.finalizeHex()
        perceptualHash = PerceptualHash(image)
        width = image.width
        height = image.height
    }

    /// Fingerprints every file, `threads` at a time, in the files' order.
    ///
    /// - Parameter progress: Called after each file with the number done so far (from any thread).
    /// - Throws: The first file's error, in file order.
    public static func compute(_ urls: [URL], threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                               progress: @Sendable (Int) -> Void = { _ in }) throws(DatasetError) -> [ImageFingerprint] {
        let results = ResultSlots<ImageFingerprint>(count: urls.count)
        let chunks = max(1, min(threads, urls.count))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for index in stride(from: chunk, to: urls.count, by: chunks) {
                results.set(index, Result { () throws(DatasetError) in try ImageFingerprint(contentsOf: urls[index]) })
                progress(results.finished)
            }
        }
        return try results.values()
    }
}

/// The file's bytes and its decoded image (EXIF orientation applied): how every data-set image
/// is read, by the training loader and by evaluation, before its model's `InputSpec` applies.
/// - Parameter spec: The model's contract, which says how to decode (``InputSpec/decode(_:limits:)``,
///   reduced per its `decodeRatio`); nil decodes at full size (fingerprints, audits).
/// - Throws: ``DatasetError/unreadableImage(_:reason:)`` naming the file.
public func readImage(_ url: URL, for spec: InputSpec? = nil) throws(DatasetError) -> (bytes: Data, image: RGBImage) {
    let bytes: Data
    do { bytes = try Data(contentsOf: url) } catch {
        throw .unreadableImage(url.path, reason: "cannot be read (\(error.localizedDescription))")
    }
    do {
        if let spec { return (bytes, try spec.decode(bytes)) }
        return (bytes, try ImageDecoder.decode(bytes))
    } catch { throw .unreadableImage(url.path, reason: error.description) }
}

/// Results written by several threads, one slot each.
final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private var slots: [Result<Value, DatasetError>?]
    private var done = 0
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<Value, DatasetError>) {
        lock.withLock {
            slots[index] = result
            done += 1
        }
    }

    var finished: Int { lock.withLock { done } }

    /// Every value in order, or the first error.
    func values() throws(DatasetError) -> [Value] {
        try lock.withLock { slots }.map { slot throws(DatasetError) in try slot!.get() }
    }
}
