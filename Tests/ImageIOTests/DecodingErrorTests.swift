import Determinism
import Foundation
import ImageIO
import Testing

@Suite("Rejecting bad input with typed errors")
struct DecodingErrorTests {
    @Test("Empty input is reported as empty")
    func emptyInput() throws {
        #expect(throws: ImageDecodingError.empty) { try ImageDecoder.decode(Fixtures.data("empty.bin")) }
        #expect(throws: ImageDecodingError.empty) { try ImageDecoder.decode([UInt8]()) }
    }

    @Test("Random bytes and other formats are reported as unsupported")
    func unsupportedFormats() throws {
        #expect(throws: ImageDecodingError.unsupportedFormat) { try ImageDecoder.decode(Fixtures.data("random.bin")) }
        let gif = Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 32)
        #expect(throws: ImageDecodingError.unsupportedFormat) { try ImageDecoder.decode(gif) }
        #expect(throws: ImageDecodingError.unsupportedFormat) { try ImageDecoder.decode([0xFF, 0xD8]) }
    }

    @Test("A JPEG cut in half is reported as truncated")
    func truncatedJPEG() throws {
        #expect(throws: ImageDecodingError.truncated) { try ImageDecoder.decode(Fixtures.data("truncated_half.jpg")) }
    }

    @Test("A JPEG cut at every length in its header is truncated, never a crash", arguments: [3, 4, 20, 100, 300, 600])
    func jpegCutInHeader(length: Int) throws {
        let bytes = [UInt8](try Fixtures.data("rgb_q90.jpg")).prefix(length)
        #expect(throws: ImageDecodingError.truncated) { try ImageDecoder.decode(Array(bytes)) }
    }

    @Test("A PNG cut inside its image data is reported as truncated")
    func truncatedPNG() throws {
        #expect(throws: ImageDecodingError.truncated) { try ImageDecoder.decode(Fixtures.data("truncated_idat.png")) }
    }

    @Test("A PNG cut before its header ends is reported as truncated", arguments: [8, 12, 20, 32])
    func pngCutInHeader(length: Int) throws {
        let bytes = [UInt8](try Fixtures.data("rgb.png")).prefix(length)
        #expect(throws: ImageDecodingError.truncated) { try ImageDecoder.decode(Array(bytes)) }
    }

    @Test("A PNG whose data fails its CRC is reported as corrupt")
    func brokenCRC() throws {
        let error = #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Fixtures.data("broken_crc.png")) }
        guard case .corrupt(let message) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(message.contains("CRC"))
    }

    @Test("A PNG whose compressed data is damaged is reported as corrupt")
    func corruptIDAT() throws {
        let error = #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Fixtures.data("corrupt_idat.png")) }
        guard case .corrupt = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
    }

    @Test("Corrupt JPEG markers are reported as corrupt")
    func corruptJPEG() throws {
        var bytes = [UInt8](try Fixtures.data("rgb_q90.jpg"))
        let sof = try #require(bytes.indices.first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 9] = 0  // zero components in the frame header
        let error = #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(bytes) }
        guard case .corrupt = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
    }

    @Test("A CMYK JPEG is refused as an unsupported colour space")
    func cmykJPEG() throws {
        #expect(throws: ImageDecodingError.unsupportedColorSpace("CMYK")) { try ImageDecoder.decode(Fixtures.data("cmyk.jpg")) }
    }

    @Test("A header claiming a gigantic image is rejected before any decoding",
          arguments: [("huge_header.png", 100_000), ("huge_header.jpg", 60_000)])
    func decompressionBomb(name: String, side: Int) throws {
        // The PNG has no image data at all: reaching the decoder would report truncation or corruption.
        #expect(throws: ImageDecodingError.tooManyPixels(width: side, height: side, limit: ImageDecoder.defaultMaxPixels)) {
            try ImageDecoder.decode(Fixtures.data(name))
        }
    }

    @Test("The pixel limit is configurable and inclusive", arguments: ["rgb.png", "rgb_q90.jpg"])
    func configurableLimit(name: String) throws {
        let data = try Fixtures.data(name)
        #expect(throws: ImageDecodingError.tooManyPixels(width: 97, height: 61, limit: 97 * 61 - 1)) {
            try ImageDecoder.decode(data, maxPixels: 97 * 61 - 1)
        }
        #expect(try ImageDecoder.decode(data, maxPixels: 97 * 61).width == 97)
    }

    @Test("Every prefix and single-byte corruption of a file fails cleanly or decodes",
          arguments: ["rgb.png", "rgb_q90.jpg", "palette.png", "rgba16.png"])
    func fuzzedInputsNeverCrash(name: String) throws {
        let original = [UInt8](try Fixtures.data(name))
        var generator = SplitMix64(seed: 42)
        for step in 0..<300 {
            var bytes = original
            if step % 2 == 0 {
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            } else {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            }
            do {
                let image = try ImageDecoder.decode(bytes)
                #expect(image.pixels.count == image.width * image.height * 3)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test("Errors describe themselves in one line")
    func descriptions() {
        let errors: [ImageDecodingError] = [.empty, .unsupportedFormat, .unsupportedColorSpace("CMYK"), .truncated,
                                            .corrupt("bad"), .tooManyPixels(width: 2, height: 3, limit: 5)]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
        #expect(ImageDecodingError.tooManyPixels(width: 2, height: 3, limit: 5).description.contains("2x3"))
    }
}
