import ImageIO

/// The page as brightness relative to the paper around each pixel (1 = paper, 0 = black), so that
/// shadows and uneven light do not turn paper into ink; with the two masks digitising needs:
/// dark trace ink, and the lighter or coloured grid.
struct InkMap {
    let width, height: Int
    /// Relative brightness, row-major.
    let brightness: [Float]
    /// How far each pixel's colour is from grey (max - min channel, 0...1): grids are often pink or red, ink is not.
    let chroma: [Float]

    /// Darker than this fraction of the paper is ink.
    static let inkThreshold: Float = 0.55

    init(_ image: RGBImage) {
        width = image.width
        height = image.height
        let count = width * height
        var luma = [Float](repeating: 0, count: count), chroma = [Float](repeating: 0, count: count)
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<count {
                let r = Float(p[3 * i]), g = Float(p[3 * i + 1]), b = Float(p[3 * i + 2])
                luma[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
                chroma[i] = (max(r, g, b) - min(r, g, b)) / 255
            }
        }
        self.chroma = chroma
        brightness = Self.normalised(luma, width: width, height: height)
    }

    /// Divides each pixel by the paper's brightness around it: the 90th percentile of its block of
    /// the page, interpolated between block centres.
    private static func normalised(_ luma: [Float], width: Int, height: Int) -> [Float] {
        let block = max(16, min(width, height) / 24)
        let bx = (width + block - 1) / block, by = (height + block - 1) / block
        var paper = [Float](repeating: 1, count: bx * by)
        var values: [Float] = []
        values.reserveCapacity(block * block)
        for j in 0..<by {
            for i in 0..<bx {
                values.removeAll(keepingCapacity: true)
                for y in (j * block)..<min(height, (j + 1) * block) {
                    for x in (i * block)..<min(width, (i + 1) * block) { values.append(luma[y * width + x]) }
                }
                values.sort()
                paper[j * bx + i] = max(values[Int(Double(values.count - 1) * 0.9)], 0.05)
            }
        }
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let fy = min(max((Float(y) + 0.5) / Float(block) - 0.5, 0), Float(by - 1))
            let j0 = Int(fy), j1 = min(j0 + 1, by - 1), wy = fy - Float(j0)
            for x in 0..<width {
                let fx = min(max((Float(x) + 0.5) / Float(block) - 0.5, 0), Float(bx - 1))
                let i0 = Int(fx), i1 = min(i0 + 1, bx - 1), wx = fx - Float(i0)
                let top = paper[j0 * bx + i0] * (1 - wx) + paper[j0 * bx + i1] * wx
                let bottom = paper[j1 * bx + i0] * (1 - wx) + paper[j1 * bx + i1] * wx
                out[y * width + x] = min(luma[y * width + x] / (top * (1 - wy) + bottom * wy), 1)
            }
        }
        return out
    }

    /// Whether the pixel is trace ink: dark, whatever the grid's colour.
    @inline(__always) func isInk(_ x: Int, _ y: Int) -> Bool { brightness[y * width + x] < Self.inkThreshold }

    /// Whether the pixel is grid: visibly darker than paper or coloured, but neither ink nor the
    /// soft edge of ink (a pixel next to ink).
    @inline(__always) func isGrid(_ x: Int, _ y: Int) -> Bool {
        let i = y * width + x
        guard brightness[i] >= Self.inkThreshold && (brightness[i] < 0.93 || chroma[i] > 0.12) else { return false }
        if x > 0 && brightness[i - 1] < Self.inkThreshold || x + 1 < width && brightness[i + 1] < Self.inkThreshold { return false }
        if y > 0 && brightness[i - width] < Self.inkThreshold || y + 1 < height && brightness[i + width] < Self.inkThreshold { return false }
        return true
    }
}
