import Foundation
import ImageIO
import Testing

@Suite("Decoding JPEG and PNG like Pillow")
struct DecodingTests {
    static let pngFixtures = Fixtures.manifest.decode.keys.filter { $0.hasSuffix(".png") }.sorted()
    static let jpegFixtures = Fixtures.manifest.decode.keys.filter { $0.hasSuffix(".jpg") }.sorted()

    @Test("Every PNG layout decodes to exactly Pillow's convert(\"RGB\") pixels", arguments: pngFixtures)
    func pngMatchesPillow(name: String) throws {
        let image = try ImageDecoder.decode(Fixtures.data(name))
        let expected = try Fixtures.expectedDecoding(of: name)
        #expect(image.width == expected.width && image.height == expected.height)
        // 16-bit images with alpha are narrowed by libpng with rounding, Pillow keeps the high byte.
        let tolerance = name.hasSuffix("alpha16.png") || name == "rgba16.png" ? 1 : 0
        #expect(maxAbsDifference(image, expected) <= tolerance, "\(name)")
    }

    @Test("Every JPEG decodes to exactly Pillow's pixels", arguments: jpegFixtures)
    func jpegMatchesPillow(name: String) throws {
        let image = try ImageDecoder.decode(Fixtures.data(name))
        let expected = try Fixtures.expectedDecoding(of: name)
        #expect(image.width == expected.width && image.height == expected.height)
        #expect(maxAbsDifference(image, expected) == 0, "\(name)")
    }

    @Test("The format is recognised from the magic bytes, not the name")
    func formatComesFromContent() throws {
        // The same bytes decode identically whatever container they arrive in.
        let bytes = [UInt8](try Fixtures.data("rgb_q90.jpg"))
        let fromArray = try ImageDecoder.decode(bytes)
        let fromSlice = try ImageDecoder.decode(Data(bytes))
        #expect(fromArray == fromSlice)
        #expect(fromArray == (try Fixtures.expectedDecoding(of: "rgb_q90.jpg")))
    }

    @Test("Alpha is dropped without compositing, so transparent pixels keep their colour")
    func alphaIsDropped() throws {
        let rgba = try ImageDecoder.decode(Fixtures.data("rgba.png"))
        let rgb = try ImageDecoder.decode(Fixtures.data("rgb.png"))
        #expect(rgba == rgb)
    }

    @Test("Sixteen-bit grayscale is clipped at 255 as Pillow's I;16 conversion does")
    func gray16IsClipped() throws {
        let image = try ImageDecoder.decode(Fixtures.data("gray16.png"))
        #expect(image.pixels.contains(255))
        #expect(image.pixels.contains { $0 > 0 && $0 < 255 })
    }
}
