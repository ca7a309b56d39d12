import Foundation

/// Decodes JPEG and PNG files into 8-bit RGB images that match Pillow's `Image.open(f).convert("RGB")`.
///
/// The format is recognised from the leading magic bytes, never from a file name. The pixel count
/// declared in the header is checked against a limit before any pixel memory is allocated, so a
/// small file that claims an enormous size (a decompression bomb) is rejected cheaply.
public enum ImageDecoder {
    /// The default upper bound on `width * height`: 16 megapixels. An ECG page scanned at 200 dpi
    /// is about 3.5 MP and a 12 MP phone photo fits; the models need 299x299 pixels at most, so
    /// anything larger only costs memory (3 bytes a pixel decoded, up to 8 while decoding).
    public static let defaultMaxPixels = 16_000_000

    /// How much work one image may cost the decoder. Every bound is checked from the file's
    /// header and markers before any pixel memory is allocated.
    public struct Limits: Sendable, Equatable {
        /// The largest `width * height`.
        public var maxPixels: Int
        /// The most scans a JPEG may have. Progressive JPEGs have about 10 (Pillow, libjpeg) to
        /// 20; baseline JPEGs have one. Each scan makes libjpeg-turbo pass over the whole image,
        /// so a progressive JPEG that repeats a tiny scan a thousand times costs a minute.
        public var maxScans: Int
        /// The largest `pixels * scans` of a JPEG: a bound on decoding time (about 1.5 ns per
        /// pixel and scan measured with libjpeg-turbo 2.1), so that a big image may have a few
        /// scans and a small one more.
        public var maxScanPixels: Int

        public init(
            maxPixels: Int = ImageDecoder.defaultMaxPixels, maxScans: Int = 64, maxScanPixels: Int = 400_000_000
        ) {
            self.maxPixels = maxPixels
            self.maxScans = maxScans
            self.maxScanPixels = maxScanPixels
        }
    }

    /// Decodes a JPEG or PNG image held in memory.
    ///
    /// Alpha channels are dropped without compositing and transparency chunks are ignored, as Pillow's
    /// `convert("RGB")` does; colour-space chunks (gAMA, sRGB, iCCP, cHRM) are ignored, as they are by
    /// Pillow's `Image.open`. A JPEG's EXIF orientation is applied (``ExifOrientation``), as Pillow's
    /// `ImageOps.exif_transpose` does, so a phone photo comes out upright.
    ///
    /// - Parameters:
    ///   - data: The encoded file, for example `Data`, `[UInt8]` or an `UnsafeRawBufferPointer`.
    ///   - maxPixels: The largest `width * height` to accept.
    /// - Returns: The decoded image.
    /// - Throws: ``ImageDecodingError`` when the data is empty, not a JPEG or PNG, truncated,
    ///   corrupt, in an unsupported colour space, or larger than `maxPixels`.
    public static func decode(
        _ data: some ContiguousBytes,
        maxPixels: Int = defaultMaxPixels
    ) throws(ImageDecodingError) -> RGBImage {
        try decode(data, limits: Limits(maxPixels: maxPixels))
    }

    /// Decodes a JPEG or PNG image held in memory within `limits` (see ``decode(_:maxPixels:)``).
    /// - Throws: ``ImageDecodingError``, including `.tooManyPixels` and `.tooManyScans` past the limits.
    public static func decode(_ data: some ContiguousBytes, limits: Limits) throws(ImageDecodingError) -> RGBImage {
        try decode(data, limits: limits, minimumSide: nil)
    }

    /// Decodes a JPEG or PNG image within `limits` (see ``decode(_:maxPixels:)``); a JPEG at the
    /// smallest ``JPEGScale`` that keeps at least `minimumSide` pixels on its shorter side (nil:
    /// full size). A PNG is always decoded at full size. Models call this through
    /// ``InputSpec/decode(_:limits:)``, whose contract says whether and how far to reduce.
    /// - Throws: ``ImageDecodingError``, as ``decode(_:limits:)``.
    public static func decode(
        _ data: some ContiguousBytes, limits: Limits, minimumSide: Int?
    ) throws(ImageDecodingError) -> RGBImage {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) in try decode(bytes: bytes, limits: limits, minimumSide: minimumSide) }
        }
        return try result.get()
    }

    /// The width and height an image's header declares, without decoding it: what admission
    /// control reserves memory for before decoding.
    /// - Throws: ``ImageDecodingError`` when the header is missing or malformed.
    public static func dimensions(_ data: some ContiguousBytes) throws(ImageDecodingError) -> (width: Int, height: Int) {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) -> (width: Int, height: Int) in
                guard !bytes.isEmpty else { throw .empty }
                if bytes.starts(with: JPEGDecoder.magic) { return try JPEGDecoder.dimensions(bytes) }
                if bytes.starts(with: PNGDecoder.magic) {
                    let header = try PNGLayout(bytes).header
                    return (header.width, header.height)
                }
                throw .unsupportedFormat
            }
        }
        return try result.get()
    }

    /// The checks of ``decode(_:limits:)`` that need no decoding: the header's size against
    /// `maxPixels` and, for a JPEG, its scans (one `memchr` pass). A pixel or scan bomb is refused
    /// here, in microseconds, before it waits for a decoder behind other uploads.
    /// - Throws: ``ImageDecodingError``: a bad header, `.tooManyPixels`, `.tooManyScans`.
    public static func checkLimits(_ data: some ContiguousBytes, limits: Limits) throws(ImageDecodingError) {
        let (width, height) = try dimensions(data)
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) in
                if bytes.starts(with: JPEGDecoder.magic) {
                    try JPEGDecoder.checkWork(bytes, width: width, height: height, limits: limits)
                } else {
                    try checkPixelCount(width: width, height: height, limit: limits.maxPixels)
                }
            }
        }
        try result.get()
    }

    /// The refusal ``checkLimits(_:limits:)`` is sure to give a whole file, decided from its
    /// first bytes while the rest still arrives: a file that is neither JPEG nor PNG, a JPEG
    /// whose header is corrupt or declares too many pixels, or whose scans counted so far pass
    /// the limits. Anything else waits for the whole file: a PNG's checks, and a JPEG whose
    /// header goes on past `prefix`.
    /// - Returns: Whether `prefix` settled what can be judged early: false only while more bytes
    ///   may complete the signature or a JPEG header.
    /// - Throws: ``ImageDecodingError``: `.unsupportedFormat`, `.corrupt`, `.tooManyPixels`, `.tooManyScans`.
    @discardableResult
    public static func checkLimits(prefix: some ContiguousBytes, limits: Limits) throws(ImageDecodingError) -> Bool {
        let result = prefix.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) -> Bool in
                guard bytes.count >= PNGDecoder.magic.count else { return false }
                if bytes.starts(with: PNGDecoder.magic) { return true }
                guard bytes.starts(with: JPEGDecoder.magic) else { throw .unsupportedFormat }
                guard let end = JPEGDecoder.headerEnd(bytes), end <= bytes.count else { return false }
                let (width, height) = try JPEGDecoder.dimensions(bytes, isPrefix: true)
                try JPEGDecoder.checkWork(bytes, width: width, height: height, limits: limits)  // scans so far: a lower bound
                return true
            }
        }
        return try result.get()
    }

    private static func decode(bytes: UnsafeRawBufferPointer, limits: Limits, minimumSide: Int?) throws(ImageDecodingError) -> RGBImage {
        guard !bytes.isEmpty else { throw .empty }
        if bytes.starts(with: JPEGDecoder.magic) {
            return try JPEGDecoder.decode(bytes, limits: limits, minimumSide: minimumSide).oriented(ExifOrientation.read(jpeg: bytes))
        }
        if bytes.starts(with: PNGDecoder.magic) {
            return try PNGDecoder.decode(bytes, maxPixels: limits.maxPixels)
        }
        throw .unsupportedFormat
    }

    /// Throws unless a `width` x `height` image fits in `limit` pixels.
    static func checkPixelCount(width: Int, height: Int, limit: Int) throws(ImageDecodingError) {
        guard width > 0, height > 0 else { throw .corrupt("the header declares a \(width)x\(height) image") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limit else {
            throw .tooManyPixels(width: width, height: height, limit: limit)
        }
    }
}
