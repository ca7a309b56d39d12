import Dispatch
import Foundation
import ImageIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The attacks of issue 17 on the decoders, each built here: scan bombs, oversized headers,
/// special files and large files that are not images.
@Suite("Hostile images are refused cheaply")
struct HostileImageTests {
    /// A `side x side` grey progressive JPEG (10 scans).
    static func progressiveJPEG(side: Int) throws -> [UInt8] {
        let image = RGBImage(width: side, height: side, pixels: [UInt8](repeating: 128, count: side * side * 3))
        return Array(try ImageEncoder.jpeg(image, quality: 75, progressive: true))
    }

    /// `jpeg` with its last scan (from its SOS marker to EOI) repeated `extra` more times: the
    /// scan bomb of issue 17, a few hundred kilobytes that cost libjpeg-turbo a pass over every
    /// pixel per scan.
    static func scanBomb(_ jpeg: [UInt8], extra: Int) -> [UInt8] {
        let lastSOS = (0..<(jpeg.count - 1)).last { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }!
        let scan = jpeg[lastSOS..<(jpeg.count - 2)]
        return Array(jpeg.dropLast(2)) + Array([ArraySlice<UInt8>](repeating: scan, count: extra).joined()) + [0xFF, 0xD9]
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now()
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    @Test("A progressive JPEG's scans are counted: libjpeg's 10, and every repeat")
    func scansAreCounted() throws {
        let jpeg = try Self.progressiveJPEG(side: 64)
        #expect(try ImageDecoder.decode(jpeg).width == 64)
        let baseline = Array(try ImageEncoder.jpeg(RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 9, count: 192))))
        let limits = ImageDecoder.Limits(maxScans: 1)
        #expect(try ImageDecoder.decode(baseline, limits: limits).width == 8)
        #expect(throws: ImageDecodingError.tooManyScans(scans: 2, pixels: 64 * 64, limit: "1 scans")) {
            try ImageDecoder.decode(jpeg, limits: limits)
        }
        // The repeats decode (libjpeg accepts them), and within the limit they are allowed.
        #expect(try ImageDecoder.decode(Self.scanBomb(jpeg, extra: 20)).width == 64)
    }

    @Test("The scan bomb (a 2000x2000 progressive JPEG, last scan repeated 1000 times) is refused in milliseconds")
    func scanBombIsRefusedBeforeDecoding() throws {
        let bomb = Self.scanBomb(try Self.progressiveJPEG(side: 2000), extra: 1000)
        var thrown: ImageDecodingError?
        let elapsed = Self.seconds {
            do { _ = try ImageDecoder.decode(bomb) } catch { thrown = error as? ImageDecodingError }
        }
        guard case .tooManyScans(let scans, let pixels, _)? = thrown else {
            Issue.record("expected tooManyScans, got \(String(describing: thrown))")
            return
        }
        #expect(scans == ImageDecoder.Limits().maxScans + 1)  // counting stops past the limit
        #expect(pixels == 2000 * 2000)
        #expect(elapsed < 0.5, "refusing took \(elapsed) s")
    }

    @Test("Pixels x scans bound the work: a big image may have fewer scans than a small one")
    func scanPixelBudget() throws {
        let jpeg = try Self.progressiveJPEG(side: 100)
        let limits = ImageDecoder.Limits(maxScans: 64, maxScanPixels: 100 * 100 * 9)
        #expect(throws: ImageDecodingError.tooManyScans(scans: 10, pixels: 100 * 100, limit: "90000 pixels x scans")) {
            try ImageDecoder.decode(jpeg, limits: limits)
        }
        #expect(try ImageDecoder.decode(jpeg, limits: ImageDecoder.Limits(maxScanPixels: 100 * 100 * 10)).height == 100)
    }

    @Test("Markers inside comments and entropy data are not counted as scans")
    func markersInsideSegmentsAreSkipped() throws {
        var jpeg = try Self.progressiveJPEG(side: 32)
        // A COM segment full of SOS-looking bytes, right after SOI.
        let fake = [UInt8]([0xFF, 0xDA, 0x00, 0x08]) + [UInt8](repeating: 0xDA, count: 60)
        jpeg.insert(contentsOf: [0xFF, 0xFE, 0x00, UInt8(fake.count + 2)] + fake, at: 2)
        #expect(try ImageDecoder.decode(jpeg, limits: ImageDecoder.Limits(maxScans: 10)).width == 32)
    }

    @Test("The 7000x7000 header is over the default pixel limit, and dimensions() reads it without decoding")
    func defaultPixelLimit() throws {
        let page = RGBImage(width: 70, height: 70, pixels: [UInt8](repeating: 200, count: 70 * 70 * 3))
        var jpeg = Array(try ImageEncoder.jpeg(page))
        // Patch the SOF0 frame's height and width (big-endian, 5 bytes after its length).
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        for (offset, value) in [(sof + 5, 7000), (sof + 7, 7000)] {
            jpeg[offset] = UInt8(value >> 8)
            jpeg[offset + 1] = UInt8(value & 0xFF)
        }
        let size = try ImageDecoder.dimensions(jpeg)
        #expect(size.width == 7000 && size.height == 7000)
        #expect(throws: ImageDecodingError.tooManyPixels(width: 7000, height: 7000, limit: 16_000_000)) {
            try ImageDecoder.decode(jpeg)
        }
    }

    // MARK: - Files

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ecg-hostile-\(UUID().uuidString)-\(name)").path
    }

    @Test("A FIFO is refused at once instead of waiting for a writer")
    func fifoIsRefused() throws {
        let path = Self.temporaryPath("fifo.png")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let elapsed = Self.seconds {
            #expect(throws: ImageFileError(path: path, reason: "not a regular file")) { try ImageFile.read(path) }
        }
        #expect(elapsed < 1)
    }

    @Test("A 1 GB sparse file that is not an image is refused after reading its first bytes")
    func largeNonImageIsRefusedByItsMagic() throws {
        let path = Self.temporaryPath("sparse.png")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { unlink(path) }
        #expect(truncate(path, 1_000_000_000) == 0)
        let elapsed = Self.seconds {
            #expect(throws: ImageDecodingError.unsupportedFormat) { try ImageFile.read(path) }
        }
        #expect(elapsed < 0.5, "took \(elapsed) s")
        // A real JPEG header on a file over the size limit is refused by its size, unread.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: [0xFF, 0xD8, 0xFF, 0xE0])
        try handle.close()
        #expect(throws: ImageFileError(path: path, reason: "the file is 1000000000 bytes, more than the limit of 100000000")) {
            try ImageFile.read(path)
        }
    }

    @Test("A real image file reads whole; missing files and folders name the reason")
    func readsImages() throws {
        let path = Self.temporaryPath("page.jpg")
        let jpeg = try Self.progressiveJPEG(side: 16)
        try Data(jpeg).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        #expect(try ImageFile.read(path) == jpeg)
        let missing = Self.temporaryPath("missing.png")
        #expect(throws: ImageFileError(path: missing, reason: "No such file or directory")) { try ImageFile.read(missing) }
        let folder = FileManager.default.temporaryDirectory.path
        #expect(throws: ImageFileError(path: folder, reason: "not a regular file")) { try ImageFile.read(folder) }
    }
}
