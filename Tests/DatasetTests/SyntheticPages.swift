import Datasets
import Determinism
import Foundation
import ImageIO

/// Small ECG-like test pages: a pink grid on white and four dark random-walk traces, different for
/// every seed, and folders of them written as PNG or JPEG files.
enum SyntheticPages {
    static let width = 160, height = 120

    /// A page whose traces are drawn from `seed`.
    static func page(seed: UInt64, width: Int = width, height: Int = height) -> RGBImage {
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ rgb: (UInt8, UInt8, UInt8)) {
            guard (0..<width).contains(x), (0..<height).contains(y) else { return }
            let offset = (y * width + x) * 3
            (pixels[offset], pixels[offset + 1], pixels[offset + 2]) = rgb
        }
        for y in 0..<height { for x in 0..<width where x % 8 == 0 || y % 8 == 0 { set(x, y, (240, 170, 180)) } }
        var generator = SplitMix64(seed: seed &+ 0x5EED)
        for band in 0..<4 {
            var y = Double(height) * (Double(band) + 0.5) / 4
            for x in 0..<width {
                y += Double(Int(generator.next() % 9) - 4)
                y = min(max(y, Double(height) * Double(band) / 4 + 2), Double(height) * Double(band + 1) / 4 - 3)
                for thickness in 0..<2 { set(x, Int(y) + thickness, (20, 20, 30)) }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The page with one pixel changed.
    static func touched(_ image: RGBImage) -> RGBImage {
        var pixels = image.pixels
        pixels[(image.height / 2 * image.width + image.width / 2) * 3] ^= 0xFF
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// A fresh temporary folder.
    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ecg-\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `data` to `root/<folder>/<file>`.
    static func write(_ data: Data, to root: URL, _ folder: String, _ file: String) throws {
        let directory = root.appendingPathComponent(folder, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try data.write(to: directory.appendingPathComponent(file))
    }
}
