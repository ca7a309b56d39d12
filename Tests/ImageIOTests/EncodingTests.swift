import Foundation
import ImageIO
import Testing

@Suite("Encoding")
struct EncodingTests {
    /// A 37x23 image with a different colour in every pixel, so row or channel mix-ups show.
    let image = RGBImage(width: 37, height: 23, pixels: (0..<(37 * 23 * 3)).map { (index: Int) -> UInt8 in
        UInt8((index * 7 + index / 111) % 256)
    })

    @Test("PNG round-trips exactly")
    func pngRoundTrip() throws {
        let data = try ImageEncoder.png(image)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(try ImageDecoder.decode(data) == image)
    }

    @Test("JPEG decodes to the same size, close to the original at high quality, further at low")
    func jpegRoundTrip() throws {
        let smooth = RGBImage(width: 64, height: 48, pixels: (0..<(64 * 48)).flatMap { index -> [UInt8] in
            let x = index % 64, y = index / 64
            let red = UInt8(x * 4), green = UInt8(y * 5), blue = UInt8((x + y) * 2)
            return [red, green, blue]
        })
        func meanError(quality: Int) throws -> Double {
            let decoded = try ImageDecoder.decode(try ImageEncoder.jpeg(smooth, quality: quality))
            #expect(decoded.width == 64 && decoded.height == 48)
            return zip(decoded.pixels, smooth.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(smooth.pixels.count)
        }
        let fine = try meanError(quality: 95), coarse = try meanError(quality: 5)
        #expect(fine < 2.5)
        #expect(coarse > fine)
    }

    @Test("JPEG quality outside 1...100 is refused")
    func badQuality() {
        #expect(throws: ImageEncodingError.self) { try ImageEncoder.jpeg(image, quality: 0) }
    }
}
