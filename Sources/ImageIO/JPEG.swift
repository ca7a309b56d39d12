import CTurboJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JPEG decoding through libjpeg-turbo's TurboJPEG API, configured like Pillow's JPEG plugin:
/// the accurate integer IDCT (`JDCT_ISLOW`) and fancy chroma upsampling.
enum JPEGDecoder {
    /// The start-of-image marker followed by the first byte of the next marker.
    static let magic: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Decodes the stream, at full size or, when `minimumSide` is given, at the smallest
    /// ``JPEGScale`` that keeps at least that many pixels on the shorter side.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: ImageDecoder.Limits, minimumSide: Int? = nil
    ) throws(ImageDecodingError) -> RGBImage {
        guard let handle = tjInitDecompress() else { throw .corrupt("libjpeg-turbo could not be initialised") }
        defer { tjDestroy(handle) }
        let source = bytes.bindMemory(to: UInt8.self)
        let size = UInt(source.count)

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, source.baseAddress, size, &width, &height, &subsampling, &colorspace) == 0 else {
            throw failure(handle, source)
        }
        // A stream that ends inside its header can parse as tables only, without a frame.
        guard width > 0, height > 0 else {
            throw isTruncated(handle, source) ? .truncated : .corrupt("the JPEG stream contains no image")
        }
        switch UInt32(bitPattern: colorspace) {
        case TJCS_CMYK.rawValue: throw .unsupportedColorSpace("CMYK")
        case TJCS_YCCK.rawValue: throw .unsupportedColorSpace("YCCK")
        default: break
        }
        try checkWork(bytes, width: Int(width), height: Int(height), limits: limits)

        // tjDecompress2 picks the largest scaling factor whose size fits the size asked for, so
        // asking for exactly the scaled size selects that factor.
        let scale = minimumSide.map { JPEGScale.smallest(width: Int(width), height: Int(height), minimumSide: $0) } ?? .full
        width = Int32(scale.scaled(Int(width)))
        height = Int32(scale.scaled(Int(height)))
        let count = Int(width) * Int(height) * 3
        var error: ImageDecodingError?
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let status = tjDecompress2(handle, source.baseAddress, size, buffer.baseAddress, width, 0, height,
                                       Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT)
            // On failure the buffer may be partly written; report it as empty and discard it.
            if status != 0, tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue) || isTruncated(handle, source) {
                error = failure(handle, source)
                initialized = 0
            } else {
                initialized = count
            }
        }
        if let error { throw error }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    /// Throws unless decoding a `width` x `height` stream fits `limits`: its pixels, its scans and
    /// pixels x scans. TurboJPEG 2.1 (Debian 12) has no scan limit (tj3's TJPARAM_SCANLIMIT came
    /// in 3.0), so the scans are counted in the bytes, a cheap pass, before libjpeg-turbo decodes them.
    static func checkWork(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, limits: ImageDecoder.Limits) throws(ImageDecodingError) {
        try ImageDecoder.checkPixelCount(width: width, height: height, limit: limits.maxPixels)
        let pixelCount = width * height
        let scans = scanCount(bytes, stoppingAfter: limits.maxScans)
        guard scans <= limits.maxScans else {
            throw .tooManyScans(scans: scans, pixels: pixelCount, limit: "\(limits.maxScans) scans")
        }
        guard pixelCount.multipliedReportingOverflow(by: scans).partialValue <= limits.maxScanPixels else {
            throw .tooManyScans(scans: scans, pixels: pixelCount, limit: "\(limits.maxScanPixels) pixels x scans")
        }
    }

    /// The width and height in the header, without decoding.
    /// - Parameter isPrefix: `bytes` are the start of a longer stream that holds its whole header
    ///   (``headerEnd(_:)``): a failure is then the header's, never a truncation.
    static func dimensions(_ bytes: UnsafeRawBufferPointer, isPrefix: Bool = false) throws(ImageDecodingError) -> (width: Int, height: Int) {
        guard let handle = tjInitDecompress() else { throw .corrupt("libjpeg-turbo could not be initialised") }
        defer { tjDestroy(handle) }
        let source = bytes.bindMemory(to: UInt8.self)
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, source.baseAddress, UInt(source.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw isPrefix ? .corrupt(message(handle)) : failure(handle, source)
        }
        guard width > 0, height > 0 else { throw .corrupt("the JPEG stream contains no image") }
        return (Int(width), Int(height))
    }

    /// How far into `bytes` libjpeg-turbo's header reader (jdmarker.c) can go before it stops:
    /// at the end of the first scan's header, at EOI or a second SOI, or at a marker it does not
    /// know (an error), plus ``headerSlack``. Segments are skipped by their length and bytes that
    /// are not markers as the reader skips them (to the next 0xFF; fill bytes; 0xFF 0x00).
    /// Every marker from 0xC0 to 0xFE but RSTn, SOI and EOI counts as carrying a length: the
    /// reader may stop sooner, never later. Nil when `bytes` end first.
    ///
    /// Where it returns a value within `bytes`, parsing the header from `bytes` alone gives the
    /// same dimensions or the same error as from the whole stream: a corrupt 20 MB upload is
    /// refused from its first kilobytes.
    static func headerEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let count = bytes.count
        guard count >= 2 else { return nil }
        guard bytes[0] == 0xFF, bytes[1] == 0xD8 else { return 2 + headerSlack }  // not a JPEG: refused at once
        var position = 2
        while true {
            var marker: UInt8 = 0
            repeat {
                while position < count, bytes[position] != 0xFF { position += 1 }
                while position < count, bytes[position] == 0xFF { position += 1 }
                guard position < count else { return nil }
                marker = bytes[position]
                position += 1
            } while marker == 0x00
            switch marker {
            case 0x01, 0xD0...0xD7: continue  // TEM, RSTn: no segment
            case 0xC0...0xCF, 0xDA...0xEF, 0xFE:
                guard position + 1 < count else { return nil }
                let length = max(2, Int(bytes[position]) << 8 | Int(bytes[position + 1]))
                if marker == 0xDA { return position + length + headerSlack }
                position += length
            default: return position + headerSlack  // SOI again, EOI, or an unknown marker
            }
        }
    }

    /// Bytes the header reader may read past a segment's declared length before it checks it (a
    /// frame header's 3 bytes per component, up to 255 components).
    static let headerSlack = 1024

    /// How many start-of-scan (SOS) markers the stream holds, counting no further than
    /// `limit + 1`. Marker segments are skipped by their length and entropy-coded data up to
    /// the next marker (a 0xFF not followed by 0x00, a restart marker or fill), so bytes inside
    /// comments or compressed data are never mistaken for markers. A malformed stream ends the
    /// count where it breaks; libjpeg-turbo then reports the damage.
    ///
    /// - Complexity: O(n), with `memchr` over the entropy-coded data.
    static func scanCount(_ bytes: UnsafeRawBufferPointer, stoppingAfter limit: Int) -> Int {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return 0 }
        var position = 2  // after SOI
        var scans = 0
        while position + 1 < count, scans <= limit {
            guard bytes[position] == 0xFF else { return scans }
            var marker = bytes[position + 1]
            position += 2
            while marker == 0xFF, position < count {  // fill bytes before a marker
                marker = bytes[position]
                position += 1
            }
            switch marker {
            case 0xD9: return scans                          // EOI
            case 0x01, 0xD0...0xD7: continue                 // TEM, RSTn: no length
            default: break
            }
            guard position + 1 < count else { return scans }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            guard length >= 2 else { return scans }
            position += length
            guard marker == 0xDA else { continue }
            scans += 1
            // Entropy-coded data: find the next 0xFF that starts a real marker.
            while position < count {
                guard let hit = memchr(base + position, 0xFF, count - position) else { return scans }
                let found = base.distance(to: UnsafeRawPointer(hit))
                guard found + 1 < count else { return scans }
                let next = bytes[found + 1]
                if next == 0x00 || (0xD0...0xD7).contains(next) {
                    position = found + 2
                } else if next == 0xFF {
                    position = found + 1
                } else {
                    position = found
                    break
                }
            }
        }
        return scans
    }

    /// Whether the last failure or warning comes from the data ending early.
    ///
    /// Pillow rejects a JPEG that ends before its image data is complete, but, like libjpeg, accepts
    /// the image when only a warning about corrupt data inside an otherwise complete stream was raised.
    private static func isTruncated(_ handle: tjhandle, _ source: UnsafeBufferPointer<UInt8>) -> Bool {
        let endsWithEOI = source.count >= 4 && source[source.count - 2] == 0xFF && source[source.count - 1] == 0xD9
        return !endsWithEOI || message(handle).hasPrefix("Premature end of JPEG file")
    }

    private static func failure(_ handle: tjhandle, _ source: UnsafeBufferPointer<UInt8>) -> ImageDecodingError {
        isTruncated(handle, source) ? .truncated : .corrupt(message(handle))
    }

    private static func message(_ handle: tjhandle) -> String {
        tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown libjpeg-turbo error"
    }
}
