import ImageIO
import Testing

/// ``ImageDecoder/checkLimits(prefix:limits:)``: refusals decided from an upload's first bytes
/// must be the whole file's refusals, and a prefix that does not settle it must pass.
@Suite("Refusing an image from its first bytes")
struct PrefixCheckTests {
    /// `count` bytes: a JPEG signature, then noise from a fixed seed (issue 17's 20 MB upload).
    static func junkJPEG(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return [0xFF, 0xD8, 0xFF] + (3..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    @Test("Junk behind a JPEG signature is refused from its first 256 KB whenever the whole file is refused")
    func junkIsRefusedEarly() {
        var decided = 0
        for seed in UInt64(0)..<40 {
            let file = Self.junkJPEG(count: 300_000, seed: seed)
            let prefix = Array(file.prefix(262_144))
            let early = Result { () throws(ImageDecodingError) in try ImageDecoder.checkLimits(prefix: prefix, limits: .init()) }
            let whole = Result { () throws(ImageDecodingError) in try ImageDecoder.checkLimits(file, limits: .init()) }
            if case .success(let judged) = early, judged { decided += 1 }  // a header that parses: judged, passed
            guard case .failure(let error) = early else { continue }
            decided += 1
            // Whole-file failures of a file not ending in EOI read as truncated; the prefix's are the header's.
            guard case .failure(let wholeError) = whole else {
                Issue.record("seed \(seed): refused early (\(error)) but the whole file passes")
                continue
            }
            if case .tooManyPixels = error { #expect(error == wholeError, "seed \(seed)") }
        }
        #expect(decided >= 39, "only \(decided) of 40 junk uploads decided from 256 KB")
    }

    @Test("Real JPEGs and PNGs pass from any prefix; a header that goes on past the prefix is left for the whole file")
    func realImagesPass() throws {
        let page = RGBImage(width: 600, height: 400, pixels: (0..<(600 * 400 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let jpeg = Array(try ImageEncoder.jpeg(page))
        let png = Array(try ImageEncoder.png(page))
        for file in [jpeg, png] {
            for length in [3, 8, 100, 700, 4_096, 65_536, file.count] {
                #expect(throws: Never.self) { try ImageDecoder.checkLimits(prefix: Array(file.prefix(length)), limits: .init()) }
            }
        }
        #expect(try ImageDecoder.checkLimits(prefix: Array(jpeg.prefix(4_096)), limits: .init()), "the header is judged")
        #expect(try ImageDecoder.checkLimits(prefix: Array(png.prefix(8)), limits: .init()))
        #expect(try !ImageDecoder.checkLimits(prefix: Array(jpeg.prefix(100)), limits: .init()), "the header goes on")
        // A 60 KB comment before the frame: from 64 KB the header is not complete with its slack.
        let comment = [UInt8](repeating: 0x41, count: 60_000)
        var long = jpeg
        long.insert(contentsOf: [0xFF, 0xFE, UInt8((comment.count + 2) >> 8), UInt8((comment.count + 2) & 0xFF)] + comment, at: 2)
        #expect(try ImageDecoder.dimensions(long).width == 600)
        #expect(try !ImageDecoder.checkLimits(prefix: Array(long.prefix(61_000)), limits: .init()))
        #expect(try ImageDecoder.checkLimits(prefix: Array(long.prefix(65_536)), limits: .init()))
    }

    @Test("A 7000x7000 header, a GIF and a corrupt frame header are refused from a prefix as they are whole")
    func headerRefusals() throws {
        let small = RGBImage(width: 70, height: 70, pixels: [UInt8](repeating: 200, count: 70 * 70 * 3))
        var jpeg = Array(try ImageEncoder.jpeg(small))
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        for offset in [sof + 5, sof + 7] { (jpeg[offset], jpeg[offset + 1]) = (0x1B, 0x58) }  // 7000
        let bomb = jpeg + [UInt8](repeating: 0, count: 70_000)  // the rest of a long upload
        #expect(throws: ImageDecodingError.tooManyPixels(width: 7000, height: 7000, limit: 16_000_000)) {
            try ImageDecoder.checkLimits(prefix: Array(bomb.prefix(65_536)), limits: .init())
        }
        #expect(throws: ImageDecodingError.unsupportedFormat) {
            try ImageDecoder.checkLimits(prefix: Array("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8), limits: .init())
        }
        var broken = Array(try ImageEncoder.jpeg(small)) + [UInt8](repeating: 0, count: 70_000)
        broken[sof + 9] = 0  // no components in the frame
        let prefixError = #expect(throws: ImageDecodingError.self) { try ImageDecoder.checkLimits(prefix: Array(broken.prefix(65_536)), limits: .init()) }
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.checkLimits(broken, limits: .init()) }
        if case .corrupt = prefixError {} else { Issue.record("expected corrupt, got \(String(describing: prefixError))") }
    }
}
