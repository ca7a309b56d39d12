import Foundation
import ImageIO
import Testing

@Suite("Input spec")
struct InputSpecTests {
    @Test("The JSON form round-trips, leaves out an absent crop, and refuses an impossible input size")
    func json() throws {
        let spec = InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard, crop: .ecgTrace)
        let decoded = try JSONDecoder().decode(InputSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == spec)
        let whole = InputSpec(inputSize: 299, resize: .nearest, preprocessing: .rescale)
        let text = String(decoding: try JSONEncoder().encode(whole), as: UTF8.self)
        #expect(!text.contains("crop") && text.contains(#""input_size":299"#))
        for bad in [#"{"input_size":0,"resize":"bicubic","preprocessing":"rescale"}"#,
                    #"{"input_size":224,"resize":"lanczos","preprocessing":"rescale"}"#,
                    #"{"input_size":224,"resize":"bicubic"}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(InputSpec.self, from: Data(bad.utf8)) }
        }
    }

    @Test("Overrides replace only the fields they give")
    func overrides() {
        let base = InputSpec(inputSize: 299, resize: .bicubic, preprocessing: .imagenet, crop: .ecgTrace)
        #expect(InputSpec.Overrides().applied(to: base) == base)
        #expect(InputSpec.Overrides(inputSize: 64, resize: .nearest).applied(to: base)
            == InputSpec(inputSize: 64, resize: .nearest, preprocessing: .imagenet, crop: .ecgTrace))
    }

    @Test("Cropping to a larger side and finishing later gives the input a direct apply gives at that side")
    func stagedPipelineMatches() {
        var pixels = [UInt8](repeating: 0, count: 50 * 40 * 3)
        for index in pixels.indices { pixels[index] = UInt8((index * 37) % 251) }
        let image = RGBImage(width: 50, height: 40, pixels: pixels)
        let spec = InputSpec(inputSize: 16, resize: .bilinear, preprocessing: .standard, crop: CropBox(left: 0.1, top: 0, right: 0.9, bottom: 1))
        let direct = spec.values(image)
        var staged = [Float](repeating: .nan, count: spec.valuesPerImage)
        staged.withUnsafeMutableBufferPointer { spec.apply(toResized: spec.resized(image), into: $0.baseAddress!) }
        #expect(staged == direct)
        // From a larger intermediate square, the final resize runs (and gives other values).
        var fromLarger = [Float](repeating: .nan, count: spec.valuesPerImage)
        fromLarger.withUnsafeMutableBufferPointer { spec.apply(toResized: spec.resized(image, side: 20), into: $0.baseAddress!) }
        #expect(!fromLarger.contains { $0.isNaN } && fromLarger != direct)
    }
}
