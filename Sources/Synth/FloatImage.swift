/// An RGB image of `Float` samples in 0...1, interleaved, for drawing and artefacts before the
/// final 8-bit image.
struct FloatImage {
    let width, height: Int
    var pixels: [Float]

    init(width: Int, height: Int, fill: Colour) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
        let (r, g, b) = (Float(fill.red), Float(fill.green), Float(fill.blue))
        for p in 0..<(width * height) { (pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2]) = (r, g, b) }
    }

    /// Paints `colour` wherever `mask` covers, in proportion to its coverage times `opacity`.
    mutating func composite(_ mask: CoverageMask, colour: Colour, opacity: Float = 1) {
        let rgb = [Float(colour.red), Float(colour.green), Float(colour.blue)]
        pixels.withUnsafeMutableBufferPointer { out in
            for p in 0..<(width * height) {
                let a = mask.coverage[p] * opacity
                if a == 0 { continue }
                for c in 0..<3 { out[3 * p + c] += (rgb[c] - out[3 * p + c]) * a }
            }
        }
    }

    /// The 8-bit image, rounding each sample.
    func quantised() -> [UInt8] {
        pixels.map { UInt8(min(max($0 * 255 + 0.5, 0), 255)) }
    }
}
