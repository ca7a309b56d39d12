import ImageIO

/// The two planes the page checks read, at a working resolution: brightness and "redness" (how much
/// redder than grey a pixel is, the colour of ECG grid paper).
///
/// Large photos are box-averaged by a whole factor so that the long side is at most
/// ``maximumSide`` pixels: the checks then cost a few milliseconds whatever the upload's size.
struct PageRaster {
    /// The longest side kept; the data set's scans (1106 x 786) are read at full size.
    static let maximumSide = 1400

    let width: Int
    let height: Int
    /// `(r + g + b) / 3`, 0...255, row-major.
    let luma: [Float]
    /// `max(0, r - (g + b) / 2)`, row-major: positive on pink and red, zero on grey, black and white.
    let redness: [Float]

    init(_ image: RGBImage) {
        let factor = max(1, (max(image.width, image.height) + Self.maximumSide - 1) / Self.maximumSide)
        // An image smaller than the factor in one direction still gives one row or column.
        let (width, height) = (max(1, image.width / factor), max(1, image.height / factor))
        var luma = [Float](repeating: 255, count: width * height)
        var redness = [Float](repeating: 0, count: width * height)
        let area = Float(factor * factor)
        luma.withUnsafeMutableBufferPointer { luma in
            redness.withUnsafeMutableBufferPointer { redness in
                image.pixels.withUnsafeBufferPointer { pixels in
                    if factor == 1 {
                        // The common case (a scan or a page-sized upload): one pixel per working pixel.
                        for index in 0..<(width * height) {
                            let (red, green, blue) = (Float(pixels[3 * index]), Float(pixels[3 * index + 1]), Float(pixels[3 * index + 2]))
                            luma[index] = (red + green + blue) / 3
                            redness[index] = max(0, red - (green + blue) / 2)
                        }
                        return
                    }
                    // Each band of `factor` source rows is summed down the columns first (one
                    // pass over contiguous bytes, which vectorises), then across each box's
                    // columns: a 15-megapixel upload took 70 ms when each box was read as a
                    // square. The sums are of integers, so the order of adding changes nothing.
                    let rowLength = image.width * 3
                    let columns = UnsafeMutableBufferPointer<Int32>.allocate(capacity: rowLength)
                    defer { columns.deallocate() }
                    for y in 0..<height {
                        columns.initialize(repeating: 0)
                        for dy in 0..<factor {
                            let start = min(y * factor + dy, image.height - 1) * rowLength
                            let row = UnsafeBufferPointer(rebasing: pixels[start..<(start + rowLength)])
                            for index in 0..<rowLength { columns[index] &+= Int32(row[index]) }
                        }
                        for x in 0..<width {
                            var (r, g, b): (Int32, Int32, Int32) = (0, 0, 0)
                            for dx in 0..<factor {
                                let offset = min(x * factor + dx, image.width - 1) * 3
                                (r, g, b) = (r &+ columns[offset], g &+ columns[offset + 1], b &+ columns[offset + 2])
                            }
                            let (red, green, blue) = (Float(r) / area, Float(g) / area, Float(b) / area)
                            luma[y * width + x] = (red + green + blue) / 3
                            redness[y * width + x] = max(0, red - (green + blue) / 2)
                        }
                    }
                }
            }
        }
        self.width = width
        self.height = height
        self.luma = luma
        self.redness = redness
    }

    /// Whether a pixel is grid-coloured: light and pink. The threshold is low enough that thin red
    /// lines keep their colour through blur and JPEG's halved chroma resolution.
    @inline(__always) static func isGrid(luma: Float, redness: Float) -> Bool { redness > 10 && luma > 120 }
    @inline(__always) func isGrid(_ index: Int) -> Bool { Self.isGrid(luma: luma[index], redness: redness[index]) }

    /// Whether a pixel is ink: the trace, the text and the calibration pulses.
    @inline(__always) static func isInk(luma: Float) -> Bool { luma < 100 }
    @inline(__always) func isInk(_ index: Int) -> Bool { Self.isInk(luma: luma[index]) }

    /// Rows and columns, inclusive, in working pixels.
    struct Box: Equatable {
        var top: Int, bottom: Int, left: Int, right: Int
    }

    /// The rows and columns spanned by the grid's long lines: the first and last rows holding
    /// grid pixels across at least 30 % of the width (counted over three adjacent rows, so that a
    /// line resampled across two rows still counts), and likewise for columns. Nil without such a
    /// row; when no column qualifies (a photo cropped inside the grid's left and right borders),
    /// the box spans the full width.
    func gridBox() -> Box? {
        var rows = [Int](repeating: 0, count: height), columns = [Int](repeating: 0, count: width)
        for y in 0..<height {
            for x in 0..<width where isGrid(y * width + x) {
                rows[y] += 1
                columns[x] += 1
            }
        }
        /// The first and last indices whose three-neighbour count reaches `minimum`.
        func span(_ counts: [Int], minimum: Int) -> (first: Int, last: Int)? {
            let long = counts.indices.filter { index in
                counts[max(0, index - 1)...min(counts.count - 1, index + 1)].reduce(0, +) >= minimum
            }
            return long.first.map { ($0, long.last!) }
        }
        guard let rowSpan = span(rows, minimum: max(8, width * 3 / 10)) else { return nil }
        let columnSpan = span(columns, minimum: max(8, height * 3 / 10)) ?? (0, width - 1)
        return Box(top: rowSpan.first, bottom: rowSpan.last, left: columnSpan.first, right: columnSpan.last)
    }
}
