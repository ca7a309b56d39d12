import Foundation
import ImageIO
import Testing

@Suite("EXIF orientation")
struct ExifOrientationTests {
    /// 48 x 32 pixels in six 16 x 16 blocks of clearly different colours, so every turn and mirror shows.
    static let blocks: [[UInt8]] = [[220, 30, 30], [30, 200, 30], [30, 30, 220], [230, 230, 40], [40, 220, 220], [20, 20, 20]]
    let image = RGBImage(width: 48, height: 32, pixels: (0..<(48 * 32)).flatMap { index -> [UInt8] in
        let (x, y) = (index % 48, index / 48)
        return ExifOrientationTests.blocks[(y / 16) * 3 + x / 16]
    })

    /// An APP1 Exif segment holding IFD0 with one entry: tag 0x0112 of `type` with `value`.
    static func app1(orientation value: Int, bigEndian: Bool = false, type: Int = 3) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        let tiff = (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(8)
            + u16(1) + u16(0x0112) + u16(type) + u32(1) + u16(value) + u16(0) + u32(0)
        let payload: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff
        let length = payload.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    /// The project's JPEG of `image` with `segment` spliced in right after the start-of-image marker.
    static func jpeg(_ image: RGBImage, inserting segment: [UInt8]) throws -> [UInt8] {
        let encoded = [UInt8](try ImageEncoder.jpeg(image, quality: 95))
        return Array(encoded[0..<2]) + segment + Array(encoded[2...])
    }

    /// The mean absolute difference of two equally sized images.
    static func meanDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        zip(a.pixels, b.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(a.pixels.count)
    }

    @Test("Every orientation 1...8 is read from a little- and big-endian Exif block and applied on decoding",
          arguments: ExifOrientation.allCases)
    func decodesUpright(orientation: ExifOrientation) throws {
        let plain = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 95))
        for bigEndian in [false, true] {
            let data = try Self.jpeg(image, inserting: Self.app1(orientation: orientation.rawValue, bigEndian: bigEndian))
            #expect(ExifOrientation.read(data) == orientation)
            let decoded = try ImageDecoder.decode(data)
            let expected = plain.oriented(orientation)
            #expect(decoded.width == expected.width && decoded.height == expected.height)
            #expect(Self.meanDifference(decoded, expected) < 0.01)
        }
    }

    @Test("Orientation 6 turns clockwise: the stored bottom-left block becomes the top-left one")
    func orientationSixIsClockwise() {
        let turned = image.oriented(.right)
        #expect(turned.width == 32 && turned.height == 48)
        let topLeft = turned.pixel(x: 2, y: 2), topRight = turned.pixel(x: 29, y: 2)
        #expect([topLeft.red, topLeft.green, topLeft.blue] == Self.blocks[3])   // was bottom-left
        #expect([topRight.red, topRight.green, topRight.blue] == Self.blocks[0])  // was top-left
        #expect(image.rotatedClockwise(quarterTurns: 1) == turned)
        #expect(image.rotatedClockwise(quarterTurns: 4) == image)
        #expect(turned.rotatedClockwise(quarterTurns: 3) == image)
    }

    @Test("Missing, malformed and out-of-range tags leave the image as stored")
    func malformedTagsAreIgnored() throws {
        let full = Self.app1(orientation: 6)
        let cases: [[UInt8]] = [
            [],                                            // no Exif at all
            Self.app1(orientation: 9),                     // out of range
            Self.app1(orientation: 0),
            Self.app1(orientation: 6, type: 4),            // LONG instead of SHORT
            Array(full.prefix(20)),                        // segment shorter than it claims
            [0xFF, 0xE1, 0x00, 0x02],                      // empty APP1
            [0xFF, 0xE1, 0xFF, 0xFF],                      // length beyond the data... then the image
        ]
        for segment in cases {
            let data = try Self.jpeg(image, inserting: segment)
            #expect(ExifOrientation.read(data) == .up)
        }
        #expect(ExifOrientation.read([UInt8]()) == .up)
        #expect(ExifOrientation.read([0xFF, 0xD8, 0xFF, 0xE1, 0x00]) == .up)
        #expect(ExifOrientation.read(try ImageEncoder.png(image)) == .up)
    }
}
