import Foundation
import ImageIO
import Testing

@Suite("Resizing like Pillow's Image.resize")
struct ResizeTests {
    static let goldens = Fixtures.manifest.resize
    static let largePage = Fixtures.largePage()

    @Test("Each filter and size matches Pillow", arguments: goldens)
    func matchesPillow(golden: Fixtures.Manifest.Resized) throws {
        let source = golden.source == "large" ? Self.largePage : try Fixtures.pattern()
        let filter = try #require(ResizeFilter(rawValue: golden.filter))
        let resized = source.resized(width: golden.width, height: golden.height, filter: filter)
        let expected = try ImageDecoder.decode(Fixtures.data(golden.file))
        #expect(resized.width == golden.width && resized.height == golden.height)
        #expect(maxAbsDifference(resized, expected) == 0, "\(golden.testDescription)")
    }

    @Test("The default filter is bicubic, as in Pillow")
    func defaultIsBicubic() throws {
        let pattern = try Fixtures.pattern()
        #expect(pattern.resized(width: 31, height: 23) == pattern.resized(width: 31, height: 23, filter: .bicubic))
    }

    @Test("Resizing to the same size returns the image unchanged", arguments: ResizeFilter.allCases)
    func identity(filter: ResizeFilter) throws {
        let pattern = try Fixtures.pattern()
        #expect(pattern.resized(width: 97, height: 61, filter: filter) == pattern)
    }

    @Test("A uniform image stays uniform at every size", arguments: ResizeFilter.allCases)
    func uniformImage(filter: ResizeFilter) {
        let flat = RGBImage(width: 13, height: 7, pixels: Array(repeating: [200, 17, 99], count: 13 * 7).flatMap { $0 })
        for (width, height) in [(1, 1), (5, 3), (40, 29), (13, 2), (2, 7)] {
            let resized = flat.resized(width: width, height: height, filter: filter)
            #expect(resized.pixels == Array(repeating: [200, 17, 99], count: width * height).flatMap { $0 })
        }
    }

    @Test("Resizing a 1106x786 page to 224x224 reports its time")
    func timing() throws {
        let page = Self.largePage
        let clock = ContinuousClock()
        var result = page
        let elapsed = clock.measure {
            for _ in 0..<5 { result = page.resized(width: 224, height: 224) }
        }
        #expect(result.width == 224)
        print("bicubic 1106x786 -> 224x224: \(elapsed / 5) per resize")
    }
}
