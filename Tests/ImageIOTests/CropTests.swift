import ImageIO
import Testing

@Suite("Cropping")
struct CropTests {
    /// A 4x3 image whose pixel (x, y) is (x, y, 10 * y + x).
    static let grid: RGBImage = {
        var pixels: [UInt8] = []
        for y in 0..<3 {
            for x in 0..<4 {
                pixels += [UInt8(x), UInt8(y), UInt8(10 * y + x)]
            }
        }
        return RGBImage(width: 4, height: 3, pixels: pixels)
    }()

    @Test("A crop copies the requested rectangle")
    func interior() {
        let crop = Self.grid.cropped(x: 1, y: 1, width: 2, height: 2)
        #expect(crop.width == 2 && crop.height == 2)
        #expect(crop.pixels == [1, 1, 11, 2, 1, 12, 1, 2, 21, 2, 2, 22])
    }

    @Test("Cropping the whole image returns an equal image")
    func whole() {
        #expect(Self.grid.cropped(x: 0, y: 0, width: 4, height: 3) == Self.grid)
    }

    @Test("A crop touching the bottom-right corner reads the last pixel")
    func corner() {
        let crop = Self.grid.cropped(x: 3, y: 2, width: 1, height: 1)
        #expect(crop.pixel(x: 0, y: 0) == (3, 2, 23))
    }
}
