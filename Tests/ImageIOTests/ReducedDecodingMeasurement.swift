import Foundation
import ImageIO
import Testing

/// How far a reduced decode moves a model's input pixels on real pages: the
/// measurement behind `decode_ratio` 2 (docs/performance.md). Opt-in, because it reads a folder
/// of JPEGs: `ECG_DECODE_PAGES=DIR swift test --filter ReducedDecodingMeasurement`.
@Suite("Reduced decoding measurement (ECG_DECODE_PAGES=DIR)",
       .enabled(if: ProcessInfo.processInfo.environment["ECG_DECODE_PAGES"] != nil))
struct ReducedDecodingMeasurement {
    @Test("Input pixel difference against a full decode, per ratio, for the small CNN's and MobileNetV2's contracts")
    func measure() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["ECG_DECODE_PAGES"]!)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { ["jpg", "jpeg"].contains($0.pathExtension.lowercased()) }.sorted { $0.path < $1.path }
        try #require(!files.isEmpty, "no JPEGs in \(folder.path)")
        let contracts = [("small_cnn", InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .standard, crop: .ecgTrace)),
                         ("mobilenetv2", InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard))]
        print("| contract | decode_ratio | scale | decoded | mean abs diff | max abs diff |")
        print("|---|---:|---|---|---:|---:|")
        for (name, full) in contracts {
            for ratio in [nil, 1, 1.5, 2, 3] as [Double?] {
                var spec = full
                spec.decodeRatio = ratio
                var sum = 0.0, count = 0, worst = 0, size = ""
                for file in files {
                    let bytes = try Data(contentsOf: file)
                    let reference = full.resized(try full.decode(bytes))
                    let decoded = try spec.decode(bytes)
                    let input = spec.resized(decoded)
                    size = "\(decoded.width)x\(decoded.height)"
                    for (a, b) in zip(reference.pixels, input.pixels) {
                        let difference = abs(Int(a) - Int(b))
                        sum += Double(difference)
                        worst = max(worst, difference)
                    }
                    count += reference.pixels.count
                }
                let header = try ImageDecoder.dimensions(Data(contentsOf: files[0]))
                let scale = spec.decodeMinimumSide.map { JPEGScale.smallest(width: header.width, height: header.height, minimumSide: $0) } ?? .full
                print("| \(name) | \(ratio.map { "\($0)" } ?? "off") | \(scale) | \(size) | \(String(format: "%.2f", sum / Double(count))) | \(worst) |")
            }
        }
    }
}
