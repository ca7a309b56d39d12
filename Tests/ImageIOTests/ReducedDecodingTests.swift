import CTurboJPEG
import Foundation
import ImageIO
import Testing

/// Reduced JPEG decoding (`InputSpec.decodeRatio`): the scale chosen, its pixels against
/// libjpeg-turbo's own scaled decode, EXIF orientation, PNG, and the JSON field.
@Suite("Reduced JPEG decoding")
struct ReducedDecodingTests {
    /// The small CNN's contract (299 px, crop to the trace grid) and MobileNetV2's (224 px, whole page), reduced.
    static let cropped = InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .standard, crop: .ecgTrace, decodeRatio: 2)
    static let whole = InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard, decodeRatio: 2)
    /// A 64 px whole-page contract (129 rows needed) and a 600 x 400 part of a page-like picture: kept small for debug builds.
    static let small = InputSpec(inputSize: 64, resize: .bicubic, preprocessing: .standard, decodeRatio: 2)
    static let page = Fixtures.largePage().cropped(x: 100, y: 100, width: 600, height: 400)

    /// Whether two images are equal, without printing megabytes of pixels when they are not.
    static func same(_ a: RGBImage, _ b: RGBImage) -> Bool { a == b }

    /// libjpeg-turbo's decode of `jpeg` at `scale`, called directly: the reference.
    static func turboDecode(_ jpeg: Data, scale: JPEGScale) throws -> RGBImage {
        let handle = try #require(tjInitDecompress())
        defer { tjDestroy(handle) }
        let bytes = [UInt8](jpeg)
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        #expect(tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0)
        let (w, h) = (scale.scaled(Int(width)), scale.scaled(Int(height)))
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        #expect(tjDecompress2(handle, bytes, UInt(bytes.count), &pixels, Int32(w), 0, Int32(h),
                              Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT) == 0)
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    @Test("libjpeg-turbo's M/8 reductions, and the smallest that keeps the crop twice the input size")
    func scaleChoice() {
        #expect(JPEGScale.reductions.map { Double($0.numerator) / Double($0.denominator) } == (1...7).map { Double($0) / 8 })
        // 299 px from 78 % of the height: (2 x 299 + 1) / 0.78 -> 768 px; 224 px of the whole page -> 449 px.
        #expect(Self.cropped.decodeMinimumSide == 768 && Self.whole.decodeMinimumSide == 449)
        #expect(InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard).decodeMinimumSide == nil)
        // A 2213 x 1572 upload: 1/2 (786 rows) for the crop, 3/8 (590) for the whole page.
        #expect(JPEGScale.smallest(width: 2213, height: 1572, minimumSide: 768) == JPEGScale(numerator: 1, denominator: 2))
        #expect(JPEGScale.smallest(width: 2213, height: 1572, minimumSide: 449) == JPEGScale(numerator: 3, denominator: 8))
        // The data set's 1106 x 786 pages: full size for the crop (7/8 keeps 688), 5/8 (492) for the whole page.
        #expect(JPEGScale.smallest(width: 1106, height: 786, minimumSide: 768) == .full)
        #expect(JPEGScale.smallest(width: 1106, height: 786, minimumSide: 449) == JPEGScale(numerator: 5, denominator: 8))
        // After the crop, both sides keep at least twice the input size, whichever way up the page lies.
        for (spec, width, height) in [(Self.cropped, 2213, 1572), (Self.cropped, 1572, 2213), (Self.whole, 2213, 1572)] {
            let scale = JPEGScale.smallest(width: width, height: height, minimumSide: spec.decodeMinimumSide!)
            let (w, h) = (scale.scaled(width), scale.scaled(height))
            let kept = spec.crop.map { $0.pixelRectangle(width: w, height: h) } ?? (x: 0, y: 0, width: w, height: h)
            #expect(min(kept.width, kept.height) >= 2 * spec.inputSize)
        }
    }

    @Test("A reduced decode has exactly the pixels of libjpeg-turbo's scaled decode; without the field, of a full decode")
    func pixelsMatchTurboJPEG() throws {
        let jpeg = try ImageEncoder.jpeg(Self.page, quality: 90)
        let reduced = try Self.small.decode(jpeg)
        #expect((reduced.width, reduced.height) == (225, 150))  // 3/8: 1/4 would keep only 100 rows
        #expect(Self.same(reduced, try Self.turboDecode(jpeg, scale: JPEGScale(numerator: 3, denominator: 8))))
        var full = Self.small
        full.decodeRatio = nil
        #expect(Self.same(try full.decode(jpeg), try ImageDecoder.decode(jpeg)))
        // MobileNetV2's contract needs 449 rows, more than the 400 there are: no reduction.
        #expect(Self.same(try Self.whole.decode(jpeg), try ImageDecoder.decode(jpeg)))
    }

    @Test("EXIF orientation is applied to a reduced decode; a PNG is decoded at full size")
    func orientationAndPNG() throws {
        let plain = try Self.small.decode(ExifOrientationTests.jpeg(Self.page, inserting: []))
        let turned = try Self.small.decode(ExifOrientationTests.jpeg(Self.page, inserting: ExifOrientationTests.app1(orientation: 6)))
        #expect((turned.width, turned.height) == (150, 225))
        #expect(Self.same(turned, plain.oriented(.right)))
        #expect(Self.same(try Self.small.decode(ImageEncoder.png(Self.page)), Self.page))
    }

    @Test("decode_ratio round-trips in the JSON form; without it a contract decodes at full size; a bad ratio is refused")
    func json() throws {
        let text = String(decoding: try JSONEncoder().encode(Self.whole), as: UTF8.self)
        #expect(text.contains(#""decode_ratio":2"#))
        #expect(try JSONDecoder().decode(InputSpec.self, from: Data(text.utf8)) == Self.whole)
        let old = try JSONDecoder().decode(InputSpec.self, from: Data(#"{"input_size":224,"preprocessing":"standard","resize":"bicubic"}"#.utf8))
        #expect(old.decodeRatio == nil && old.decodeMinimumSide == nil)
        for bad in ["0.5", "17", "\"2\""] {
            let json = #"{"input_size":224,"preprocessing":"standard","resize":"bicubic","decode_ratio":"# + bad + "}"
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(InputSpec.self, from: Data(json.utf8)) }
        }
        #expect(InputSpec.Overrides(decodeRatio: 3).applied(to: Self.whole).decodeRatio == 3)
        #expect(InputSpec.Overrides().applied(to: Self.whole).decodeRatio == 2)
    }
}
