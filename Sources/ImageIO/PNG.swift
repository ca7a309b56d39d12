import CPNG

/// PNG decoding through libpng's simplified API, arranged to reproduce Pillow's `convert("RGB")`.
///
/// Pillow ignores colour-space chunks and, when converting to RGB, transparency; libpng's simplified
/// API would act on both (gamma conversion, compositing). Those chunks are therefore removed from the
/// stream before libpng sees it. Pillow maps 16-bit samples to 8 bits by keeping the high byte,
/// except for 16-bit grayscale (mode `I;16`), whose values it clips to 255.
enum PNGDecoder {
    /// The eight-byte PNG signature.
    static let magic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func decode(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws(ImageDecodingError) -> RGBImage {
        let layout = try PNGLayout(bytes)
        let header = layout.header
        try ImageDecoder.checkPixelCount(width: header.width, height: header.height, limit: maxPixels)

        guard layout.ignoredChunks.isEmpty else {
            let stripped = layout.strippingIgnoredChunks(from: bytes)
            return try stripped.withUnsafeBytes { bytes in
                Result { () throws(ImageDecodingError) in try read(bytes, header: header, complete: layout.isComplete) }
            }.get()
        }
        return try read(bytes, header: header, complete: layout.isComplete)
    }

    private static func read(_ bytes: UnsafeRawBufferPointer, header: PNGLayout.Header,
                             complete: Bool) throws(ImageDecodingError) -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw failure(image, complete: complete)
        }
        // The buffers below are sized from `header`; libpng must agree before it writes into them.
        guard Int(image.width) == header.width, Int(image.height) == header.height else {
            throw .corrupt("libpng read a different image size than the IHDR chunk declares")
        }
        let pixelCount = header.width * header.height
        let hasAlpha = header.colorType & 4 != 0

        if header.bitDepth == 16 && !hasAlpha {
            // Without gamma chunks libpng takes 16-bit data as linear and passes it through unchanged.
            let isColor = header.colorType & 2 != 0
            image.format = isColor ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_LINEAR_Y
            var samples = [UInt16](repeating: 0, count: pixelCount * (isColor ? 3 : 1))
            try finish(&image, into: &samples, complete: complete)
            let pixels = isColor
                ? samples.map { UInt8(truncatingIfNeeded: $0 >> 8) }
                : expandGray(samples.map { UInt8(clamping: $0) })
            return RGBImage(width: header.width, height: header.height, pixels: pixels)
        }
        if hasAlpha {
            // Treat 16-bit data as sRGB so libpng only narrows it; 8-bit output with alpha is not premultiplied.
            image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            image.format = PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA
            var rgba = [UInt8](repeating: 0, count: pixelCount * 4)
            try finish(&image, into: &rgba, complete: complete)
            return RGBImage(width: header.width, height: header.height, pixels: dropAlpha(rgba, pixelCount: pixelCount))
        }
        image.format = PNG_FORMAT_RGB
        var pixels = [UInt8](repeating: 0, count: pixelCount * 3)
        try finish(&image, into: &pixels, complete: complete)
        return RGBImage(width: header.width, height: header.height, pixels: pixels)
    }

    private static func finish<Sample>(_ image: inout png_image, into buffer: inout [Sample],
                                       complete: Bool) throws(ImageDecodingError) {
        let ok = buffer.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw failure(image, complete: complete) }
    }

    private static func failure(_ image: png_image, complete: Bool) -> ImageDecodingError {
        guard complete else { return .truncated }
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .corrupt(message.isEmpty ? "libpng failed without a message" : message)
    }

    private static func expandGray(_ gray: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: gray.count * 3) { buffer, count in
            for (index, value) in gray.enumerated() {
                buffer[3 * index] = value
                buffer[3 * index + 1] = value
                buffer[3 * index + 2] = value
            }
            count = gray.count * 3
        }
    }

    private static func dropAlpha(_ rgba: [UInt8], pixelCount: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { buffer, count in
            rgba.withUnsafeBufferPointer { rgba in
                for index in 0..<pixelCount {
                    buffer[3 * index] = rgba[4 * index]
                    buffer[3 * index + 1] = rgba[4 * index + 1]
                    buffer[3 * index + 2] = rgba[4 * index + 2]
                }
            }
            count = pixelCount * 3
        }
    }
}

/// The chunk structure of a PNG stream, read without decompressing anything.
struct PNGLayout {
    /// The fields of the IHDR chunk that decoding depends on.
    struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: Int
    }

    /// Chunks Pillow ignores when converting to RGB but libpng's simplified API would apply.
    private static let ignoredTypes: Set<String> = ["gAMA", "cHRM", "sRGB", "iCCP", "cICP", "mDCV", "cLLI", "tRNS"]

    let header: Header
    /// Byte ranges (length, type, data and CRC) of the chunks to hide from libpng.
    let ignoredChunks: [Range<Int>]
    /// Whether the stream reaches its IEND chunk; when it does not, a decoding failure means truncation.
    let isComplete: Bool

    init(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodingError) {
        let ihdrEnd = 8 + 8 + 13 + 4
        guard bytes.count >= ihdrEnd else { throw .truncated }
        guard Self.type(in: bytes, at: 8) == "IHDR", Self.uint32(in: bytes, at: 8) == 13 else {
            throw .corrupt("the first chunk is not IHDR")
        }
        header = Header(width: Int(Self.uint32(in: bytes, at: 16)), height: Int(Self.uint32(in: bytes, at: 20)),
                        bitDepth: Int(bytes[24]), colorType: Int(bytes[25]))

        var ignored: [Range<Int>] = []
        var offset = 8
        var complete = false
        while offset + 12 <= bytes.count {
            let length = Int(Self.uint32(in: bytes, at: offset))
            let end = offset + 12 + length
            guard end <= bytes.count else { break }
            let type = Self.type(in: bytes, at: offset)
            if Self.ignoredTypes.contains(type) { ignored.append(offset..<end) }
            if type == "IEND" {
                complete = true
                break
            }
            offset = end
        }
        ignoredChunks = ignored
        isComplete = complete
    }

    /// Returns a copy of the stream without the ignored chunks.
    func strippingIgnoredChunks(from bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        for chunk in ignoredChunks {
            out.append(contentsOf: bytes[position..<chunk.lowerBound])
            position = chunk.upperBound
        }
        out.append(contentsOf: bytes[position...])
        return out
    }

    private static func uint32(in bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func type(in bytes: UnsafeRawBufferPointer, at offset: Int) -> String {
        String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
    }
}
