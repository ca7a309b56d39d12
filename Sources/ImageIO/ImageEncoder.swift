import CPNG
import CTurboJPEG
import Foundation

/// Why an image could not be encoded (the codec's own explanation).
public struct ImageEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The codec's message.
    public let description: String
}

/// Encodes RGB images as PNG (libpng) or JPEG (libjpeg-turbo), for generated pages, augmentation
/// with JPEG artefacts and test fixtures.
public enum ImageEncoder {
    /// Encodes the image as an 8-bit RGB PNG.
    public static func png(_ image: RGBImage) throws(ImageEncodingError) -> Data {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        var size = 0
        // The first call only measures; the second writes into a buffer of that size.
        let measured = image.pixels.withUnsafeBytes { pixels in
            png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, 0, nil)
        }
        guard measured != 0, size > 0 else { throw failure(&png) }
        var data = Data(count: size)
        let written = data.withUnsafeMutableBytes { output in
            image.pixels.withUnsafeBytes { pixels in
                png_image_write_to_memory(&png, output.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
            }
        }
        guard written != 0 else { throw failure(&png) }
        return data.prefix(size)
    }

    /// Encodes the image as a baseline (or progressive) JPEG with 4:2:0 chroma subsampling.
    ///
    /// - Parameters:
    ///   - quality: 1 (smallest, worst) to 100 (largest, best); the libjpeg scale.
    ///   - progressive: Write a progressive JPEG (libjpeg's standard 10 scans) instead of one scan.
    public static func jpeg(_ image: RGBImage, quality: Int = 90, progressive: Bool = false) throws(ImageEncodingError) -> Data {
        guard (1...100).contains(quality) else { throw ImageEncodingError(description: "JPEG quality \(quality) is not in 1...100") }
        guard let handle = tjInitCompress() else { throw ImageEncodingError(description: "libjpeg-turbo could not be initialised") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &output, &size, Int32(TJSAMP_420.rawValue), Int32(quality),
                        TJFLAG_ACCURATEDCT | (progressive ? TJFLAG_PROGRESSIVE : 0))
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw ImageEncodingError(description: String(cString: tjGetErrorStr2(handle)))
        }
        return Data(bytes: output, count: Int(size))
    }

    private static func failure(_ png: inout png_image) -> ImageEncodingError {
        let message = withUnsafeBytes(of: png.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        png_image_free(&png)
        return ImageEncodingError(description: message.isEmpty ? "libpng could not write the image" : message)
    }
}
