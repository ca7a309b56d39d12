import ImageIO
@testable import Inference
import Testing

/// The page checks' working raster (``PageRaster``) against a plain box average written the
/// obvious way: large uploads are averaged down by a whole factor before any check reads them.
@Suite("Page raster")
struct PageRasterTests {
    @Test(
        "Box-averaged planes equal the naive reference, whatever the size",
        arguments: [(1106, 786), (2900, 1500), (2, 4500), (3100, 1)])
    func matchesNaiveBoxAverage(width: Int, height: Int) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(width * 31 + height)
        let pixels = (0..<(width * height * 3)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        let raster = PageRaster(image)
        let factor = max(1, (max(width, height) + PageRaster.maximumSide - 1) / PageRaster.maximumSide)
        #expect(raster.width == max(1, width / factor) && raster.height == max(1, height / factor))
        var mismatches = 0
        for y in 0..<raster.height {
            for x in 0..<raster.width {
                var (r, g, b) = (0, 0, 0)
                for dy in 0..<factor {
                    for dx in 0..<factor {
                        let (sx, sy) = (min(x * factor + dx, width - 1), min(y * factor + dy, height - 1))
                        let offset = (sy * width + sx) * 3
                        (r, g, b) = (r + Int(pixels[offset]), g + Int(pixels[offset + 1]), b + Int(pixels[offset + 2]))
                    }
                }
                let area = Float(factor * factor)
                let (red, green, blue) = (Float(r) / area, Float(g) / area, Float(b) / area)
                let index = y * raster.width + x
                if raster.luma[index] != (red + green + blue) / 3 || raster.redness[index] != max(0, red - (green + blue) / 2) {
                    mismatches += 1
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(raster.width * raster.height) working pixels differ")
    }
}
