import Foundation

/// Decodes JPEG and PNG files into 8-bit RGB images that match Pillow's `Image.open(f).convert("RGB")`.
///
/// The format is recognised from the leading magic bytes, never from a file name. The pixel count
/// declared in the header is checked against a limit before any pixel memory is allocated, so a
/// small file that claims an enormous size (a decompression bomb) is rejected cheaply.
public enum ImageDecoder {
    /// The default upper bound on `width * height` accepted by ``decode(_:maxPixels:)``.
    public static let defaultMaxPixels = 50_000_000

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
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(ImageDecodingError) in try decode(bytes: bytes, maxPixels: maxPixels) }
        }
        return try result.get()
    }

    private static func decode(bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> RGBImage {
        guard !bytes.isEmpty else { throw .empty }
        if bytes.starts(with: JPEGDecoder.magic) {
            return try JPEGDecoder.decode(bytes, maxPixels: maxPixels).oriented(ExifOrientation.read(jpeg: bytes))
        }
        if bytes.starts(with: PNGDecoder.magic) {
            return try PNGDecoder.decode(bytes, maxPixels: maxPixels)
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
