import Foundation
import ImageIO
import Inference
import Testing

/// The input gate on the committed synthetic page, on turned and skewed copies of it, and on
/// images that are not ECG pages (built here: blank, noise, an empty grid, a text-like page).
@Suite("Input gate")
struct InputGateTests {
    let page: RGBImage
    let gate = InputGate()

    init() throws {
        page = try ImageDecoder.decode(Data(contentsOf: samplePage))
    }

    @Test("The synthetic sample page passes, upright and unchanged")
    func samplePagePasses() {
        let examined = gate.examine(page)
        #expect(examined.verdict.accepted, "\(examined.verdict.reasons)")
        #expect(examined.verdict.score == 1)
        #expect(examined.verdict.orientation == PageOrientation())
        #expect(examined.image == page)
        #expect(examined.verdict.measurements.traceRows == 4)
    }

    @Test("A page turned by 90, 180 or 270 degrees is found and turned back exactly", arguments: [1, 2, 3])
    func turnedPagesComeBackUpright(turns: Int) {
        let examined = gate.examine(page.rotatedClockwise(quarterTurns: turns))
        #expect(examined.verdict.orientation.quarterTurns == 4 - turns)
        #expect(examined.verdict.orientation.skewDegrees == 0)
        #expect(examined.verdict.accepted, "\(examined.verdict.reasons)")
        #expect(examined.image == page)
    }

    @Test("A page skewed by a few degrees either way is straightened", arguments: [-7.0, -3.0, 4.0, 9.0])
    func skewedPagesAreStraightened(degrees: Double) {
        let skewed = page.warped(angle: degrees * .pi / 180, scale: 1, shiftX: 0, shiftY: 0, mirror: false)
        let examined = gate.examine(skewed)
        #expect(abs(examined.verdict.orientation.skewDegrees - degrees) <= 0.3, "found \(examined.verdict.orientation.skewDegrees)")
        #expect(examined.verdict.accepted, "\(examined.verdict.reasons)")
        // Straightened, the page is close to the original again (not the skewed copy).
        let before = meanDifference(skewed, page), after = meanDifference(examined.image, page)
        #expect(after < before / 2, "difference \(before) before, \(after) after straightening")
    }

    @Test("A JPEG stored on its side with EXIF orientation 6 decodes upright and needs no turn")
    func exifPageIsReadUpright() throws {
        // A camera held upright stores the scene turned counter-clockwise and tags it 6.
        let stored = page.rotatedClockwise(quarterTurns: 3)
        let encoded = [UInt8](try ImageEncoder.jpeg(stored, quality: 92))
        let app1: [UInt8] = [0xFF, 0xE1, 0x00, 0x22, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00,
                             0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01,
                             0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00]
        let decoded = try ImageDecoder.decode(Array(encoded[0..<2]) + app1 + Array(encoded[2...]))
        #expect(decoded.width == page.width && decoded.height == page.height)
        let examined = gate.examine(decoded)
        #expect(examined.verdict.accepted, "\(examined.verdict.reasons)")
        #expect(examined.verdict.orientation.quarterTurns == 0)
    }

    @Test("Blank, noise, gradient, empty-grid and text-like images are refused, each for a stated reason")
    func nonPagesAreRefused() {
        // Built with flat loops over raw buffers: this test target is not optimised, and closures
        // per pixel over a 1106 x 786 page cost seconds.
        let (width, height) = (page.width, page.height), count = width * height * 3
        let white = RGBImage(width: width, height: height, pixels: [UInt8](repeating: 255, count: count))
        var generator = SystemRandomNumberGenerator()
        var noisePixels = [UInt8](repeating: 0, count: count)
        noisePixels.withUnsafeMutableBytes { bytes in
            var offset = 0
            while offset < count {
                withUnsafeBytes(of: generator.next() as UInt64) { random in
                    for byte in random where offset < count { bytes[offset] = byte; offset += 1 }
                }
            }
        }
        let noise = RGBImage(width: width, height: height, pixels: noisePixels)
        // The sample page with every dark pixel (trace and text) painted paper white: an empty grid.
        var gridPixels = page.pixels
        gridPixels.withUnsafeMutableBufferPointer { p in
            for offset in stride(from: 0, to: count, by: 3) where Int(p[offset]) + Int(p[offset + 1]) + Int(p[offset + 2]) < 3 * 160 {
                (p[offset], p[offset + 1], p[offset + 2]) = (255, 255, 255)
            }
        }
        let emptyGrid = RGBImage(width: width, height: height, pixels: gridPixels)
        // Lines of black "words" on white: a typed document.
        var text = [UInt8](repeating: 255, count: count)
        text.withUnsafeMutableBufferPointer { p in
            for line in stride(from: 30, to: height - 30, by: 24) {
                for y in line..<(line + 10) {
                    for x in 40..<(width - 40) where (x / 9) % 5 != 0 {
                        let offset = (y * width + x) * 3
                        (p[offset], p[offset + 1], p[offset + 2]) = (20, 20, 20)
                    }
                }
            }
        }
        let cases: [(String, RGBImage, String)] = [
            ("blank", white, "grid"), ("noise", noise, "ink"), ("gradient", gradientImage(width: 400, height: 300), "ink"),
            ("empty grid", emptyGrid, "ink"), ("text", RGBImage(width: width, height: height, pixels: text), "grid"),
        ]
        for (name, image, failedCheck) in cases {
            let verdict = gate.examine(image).verdict
            #expect(!verdict.accepted, "\(name) was accepted")
            #expect(verdict.score < 1, "\(name)")
            #expect(verdict.checks.contains { $0.name == failedCheck && !$0.passed }, "\(name): \(verdict.reasons)")
            #expect(!verdict.reasons.isEmpty && !NotAnECGPage(verdict: verdict).description.contains("\n"), "\(name)")
        }
    }

    @Test("Tiny and extreme images are judged without trapping")
    func tinyImages() {
        for (width, height) in [(1, 1), (3, 200), (200, 3), (17, 9)] {
            let image = gradientImage(width: width, height: height)
            #expect(!gate.examine(image).verdict.accepted)
        }
    }

    @Test("Real test-split pages pass the gate (skipped without the data set)")
    func realPagesPass() throws {
        let root = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/ecg-khan-2021")
        guard FileManager.default.fileExists(atPath: root.path) else {
            print("skipped: \(root.path) is absent")
            return
        }
        for folder in ["Normal", "Myocardial_Infarction", "History_Myocardial_Infarction", "Abnormal_Heartbeat"] {
            let url = root.appendingPathComponent(folder)
            let first = try #require(try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().first)
            let image = try ImageDecoder.decode(Data(contentsOf: url.appendingPathComponent(first)))
            let examined = gate.examine(image)
            #expect(examined.verdict.accepted, "\(folder)/\(first): \(examined.verdict.reasons)")
            #expect(examined.verdict.orientation == PageOrientation(), "\(folder)/\(first)")
        }
    }

    /// The mean absolute difference of two same-sized images, compared at a quarter of their size
    /// (resized by the optimised ImageIO module; a per-byte closure here would cost seconds).
    private func meanDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        let (width, height) = (max(1, a.width / 4), max(1, a.height / 4))
        let small = (a.resized(width: width, height: height, filter: .bilinear), b.resized(width: width, height: height, filter: .bilinear))
        var total = 0
        small.0.pixels.withUnsafeBufferPointer { x in
            small.1.pixels.withUnsafeBufferPointer { y in
                for i in 0..<x.count { total += abs(Int(x[i]) - Int(y[i])) }
            }
        }
        return Double(total) / Double(small.0.pixels.count)
    }
}
