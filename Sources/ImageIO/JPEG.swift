import CTurboJPEG

/// JPEG decoding through libjpeg-turbo's TurboJPEG API, configured like Pillow's JPEG plugin:
/// the accurate integer IDCT (`JDCT_ISLOW`) and fancy chroma upsampling.
enum JPEGDecoder {
    /// The start-of-image marker followed by the first byte of the next marker.
    static let magic: [UInt8] = [0xFF, 0xD8, 0xFF]

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> RGBImage {
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
        try ImageDecoder.checkPixelCount(width: Int(width), height: Int(height), limit: maxPixels)

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
