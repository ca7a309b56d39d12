import Foundation
import ImageIO
import Testing

/// Access to the files written by tools/reference/make_image_goldens.py.
enum Fixtures {
    struct Manifest: Decodable {
        struct Decoded: Decodable {
            let width: Int
            let height: Int
            let rgb: String
        }

        struct Resized: Decodable, CustomTestStringConvertible {
            let source: String
            let filter: String
            let width: Int
            let height: Int
            let file: String

            var testDescription: String { "\(source) \(filter) \(width)x\(height)" }
        }

        let pillow: String
        let decode: [String: Decoded]
        let resize: [Resized]
    }

    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    /// Pillow's `convert("RGB")` pixels for a decodable fixture.
    static func expectedDecoding(of name: String) throws -> RGBImage {
        let entry = try #require(manifest.decode[name])
        return RGBImage(width: entry.width, height: entry.height, pixels: [UInt8](try data(entry.rgb)))
    }

    /// The 97x61 pattern that every resize golden of source "pattern" starts from.
    static func pattern() throws -> RGBImage {
        try ImageDecoder.decode(data("rgb.png"))
    }

    /// The procedural 1106x786 page of the generator's `large_rgb`.
    static func largePage() -> RGBImage {
        let width = 1106, height = 786
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                pixels.append(UInt8((x * 3 + y) % 256))
                pixels.append(UInt8(((x / 24 + y / 24) % 2) * 200 + 20))
                pixels.append(UInt8(((x / 16) * 37 + (y / 16) * 91) % 256))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// The largest absolute difference between corresponding samples of two images of the same size.
func maxAbsDifference(_ lhs: RGBImage, _ rhs: RGBImage) -> Int {
    precondition(lhs.width == rhs.width && lhs.height == rhs.height)
    return zip(lhs.pixels, rhs.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}
