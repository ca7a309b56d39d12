import Datasets
import Determinism
import Foundation
import ImageIO
import Testing

@Suite("Augmentation")
struct AugmentationTests {
    let page = SyntheticPages.page(seed: 42)

    func mean(_ image: RGBImage) -> Double { Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count) }

    func deviation(_ image: RGBImage) -> Double {
        let average = mean(image)
        return (image.pixels.reduce(0.0) { $0 + pow(Double($1) - average, 2) } / Double(image.pixels.count)).squareRoot()
    }

    /// Sum of squared differences between horizontal neighbours: the image's high-frequency energy.
    func edgeEnergy(_ image: RGBImage) -> Double {
        var total = 0.0
        for index in 0..<(image.pixels.count - 3) { total += pow(Double(image.pixels[index + 3]) - Double(image.pixels[index]), 2) }
        return total
    }

    func augmented(_ augmentation: Augmentation, seed: UInt64) -> RGBImage {
        var generator = SplitMix64(seed: seed)
        return augmentation.apply(to: page, using: &generator)
    }

    @Test("none leaves the image alone; the ECG default does not flip")
    func identity() {
        #expect(Augmentation.none.isIdentity)
        #expect(!Augmentation.ecg.isIdentity)
        #expect(!Augmentation.ecg.horizontalFlip)
        for seed: UInt64 in 0..<3 { #expect(augmented(.none, seed: seed) == page) }
    }

    @Test("the same generator state gives the same image; another state another image")
    func deterministic() {
        let first = augmented(.ecg, seed: 5)
        #expect(augmented(.ecg, seed: 5) == first)
        #expect(augmented(.ecg, seed: 6) != first)
        #expect(first.width == page.width && first.height == page.height)
    }

    @Test("rotation, zoom and shift keep the size and the overall ink, and move it")
    func geometry() {
        for augmentation in [Augmentation(rotationDegrees: 5), Augmentation(scale: 0.1), Augmentation(translation: 0.05)] {
            for seed: UInt64 in 0..<3 {
                let image = augmented(augmentation, seed: seed)
                #expect(image.width == page.width && image.height == page.height)
                #expect(image != page)
                #expect(abs(mean(image) - mean(page)) < 8)
            }
        }
    }

    @Test("brightness shifts the mean both ways within its bound; contrast scales the spread")
    func photometric() {
        let shifts = (0..<8 as Range<UInt64>).map { mean(augmented(Augmentation(brightness: 0.1), seed: $0)) - mean(page) }
        #expect(shifts.contains { $0 > 2 } && shifts.contains { $0 < -2 })
        #expect(shifts.allSatisfy { abs($0) <= 0.1 * 255 + 1 })
        let spreads = (0..<8 as Range<UInt64>).map { deviation(augmented(Augmentation(contrast: 0.3), seed: $0)) / deviation(page) }
        #expect(spreads.contains { $0 > 1.03 } && spreads.contains { $0 < 0.97 })
        #expect(spreads.allSatisfy { (0.65...1.35).contains($0) })
    }

    @Test("blur lowers the high-frequency energy; JPEG noise changes pixels a little")
    func blurAndJPEG() {
        let blurred = augmented(Augmentation(blurProbability: 1, maxBlurSigma: 2), seed: 1)
        #expect(edgeEnergy(blurred) < 0.8 * edgeEnergy(page))
        let noisy = augmented(Augmentation(jpegProbability: 1, jpegQuality: 30...50), seed: 1)
        #expect(noisy != page)
        let error = zip(noisy.pixels, page.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(page.pixels.count)
        #expect(error > 0.5 && error < 15)
    }

    @Test("the explicit flip mirrors about half the images exactly")
    func flip() {
        var mirroredPixels = [UInt8]()
        for y in 0..<page.height { for x in (0..<page.width).reversed() { let p = page.pixel(x: x, y: y); mirroredPixels += [p.red, p.green, p.blue] } }
        let mirrored = RGBImage(width: page.width, height: page.height, pixels: mirroredPixels)
        let results = (0..<16 as Range<UInt64>).map { augmented(Augmentation(horizontalFlip: true), seed: $0) }
        #expect(results.allSatisfy { $0 == page || $0 == mirrored })
        #expect(results.contains(page) && results.contains(mirrored))
    }

    @Test("JSON: missing keys are off, values round-trip, out-of-range values are rejected")
    func codable() throws {
        #expect(try JSONDecoder().decode(Augmentation.self, from: Data("{}".utf8)) == .none)
        #expect(try JSONDecoder().decode(Augmentation.self, from: JSONEncoder().encode(Augmentation.ecg)) == .ecg)
        let partial = try JSONDecoder().decode(Augmentation.self, from: Data(#"{"rotation_degrees": 3, "jpeg_quality": [50, 60]}"#.utf8))
        #expect(partial == Augmentation(rotationDegrees: 3, jpegQuality: 50...60))
        for bad in [#"{"blur_probability": 2}"#, #"{"scale": -0.1}"#, #"{"jpeg_quality": [0, 90]}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Augmentation.self, from: Data(bad.utf8)) }
        }
    }
}
