import Foundation
import ImageIO
import Testing

@Suite("Preprocessing to float NHWC tensors")
struct PreprocessingTests {
    /// A 1x256 image whose pixel v has all three samples equal to v.
    static let ramp = RGBImage(width: 256, height: 1, pixels: (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] })

    @Test("Every sample value matches torchvision's float32 arithmetic bit for bit", arguments: Preprocessing.allCases)
    func matchesTorch(mode: Preprocessing) throws {
        let data = try Fixtures.data("preprocess_\(mode.rawValue).f32")
        let expected = data.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        #expect(mode.apply(to: Self.ramp) == expected)
    }

    @Test("Known values of each mode")
    func knownValues() {
        let image = RGBImage(width: 1, height: 1, pixels: [0, 255, 51])
        #expect(Preprocessing.rescale.apply(to: image) == [0, 1, 0.2])
        #expect(Preprocessing.standard.apply(to: image) == [-1, 1, Float(0.2) * 2 - 1])
        let imagenet = Preprocessing.imagenet.apply(to: image)
        #expect(abs(imagenet[0] - (-0.485 / 0.229)) < 1e-6)
        #expect(abs(imagenet[1] - ((1 - 0.456) / 0.224)) < 1e-6)
        #expect(abs(imagenet[2] - ((0.2 - 0.406) / 0.225)) < 1e-6)
    }

    @Test("The layout is height, width, channel")
    func layout() {
        let image = RGBImage(width: 2, height: 2, pixels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
        #expect(Preprocessing.rescale.apply(to: image) == (0..<12).map { Float($0) / 255 })
    }

    @Test("Writing into a batch buffer equals the array result at the right offset")
    func writesIntoBatch() throws {
        let pattern = try Fixtures.pattern()
        let perImage = pattern.pixels.count
        let batch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * perImage)
        defer { batch.deallocate() }
        batch.initialize(repeating: .nan, count: 2 * perImage)
        Preprocessing.imagenet.apply(to: pattern, into: batch + perImage)
        #expect(batch[perImage - 1].isNaN)
        #expect(Array(UnsafeBufferPointer(start: batch + perImage, count: perImage)) == Preprocessing.imagenet.apply(to: pattern))
    }

    @Test("The mode is stored by its raw name")
    func codable() throws {
        let encoded = try JSONEncoder().encode([Preprocessing.imagenet])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"imagenet\"]")
        #expect(try JSONDecoder().decode([Preprocessing].self, from: Data("[\"standard\"]".utf8)) == [.standard])
    }
}
