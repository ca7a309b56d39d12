/// An anti-aliased drawing surface: how much of each pixel (0...1) some ink covers. Shapes
/// combine by taking the larger coverage, so a polyline's joints are not darkened twice.
struct CoverageMask {
    let width, height: Int
    /// Row-major coverage, `height * width` values.
    private(set) var coverage: [Float]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        coverage = [Float](repeating: 0, count: width * height)
    }

    subscript(x: Int, y: Int) -> Float { coverage[y * width + x] }

    /// Strokes the segment from `(x0, y0)` to `(x1, y1)` with round ends, `thickness` pixels wide.
    ///
    /// Each pixel's coverage is its centre's distance to the segment, turned into a one-pixel ramp
    /// at the stroke's edge; strokes thinner than a pixel are drawn one pixel wide and fainter.
    /// - Complexity: O(length × thickness) pixels.
    mutating func strokeSegment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, thickness: Double) {
        let half = max(thickness, 1) / 2, strength = Float(min(thickness, 1))
        let reach = half + 1
        let left = max(0, Int((min(x0, x1) - reach).rounded(.down))), right = min(width - 1, Int((max(x0, x1) + reach).rounded(.up)))
        let top = max(0, Int((min(y0, y1) - reach).rounded(.down))), bottom = min(height - 1, Int((max(y0, y1) + reach).rounded(.up)))
        guard left <= right, top <= bottom else { return }
        let dx = x1 - x0, dy = y1 - y0, lengthSquared = dx * dx + dy * dy
        coverage.withUnsafeMutableBufferPointer { cover in
            for y in top...bottom {
                let py = Double(y) + 0.5
                for x in left...right {
                    let px = Double(x) + 0.5
                    var t = lengthSquared > 0 ? ((px - x0) * dx + (py - y0) * dy) / lengthSquared : 0
                    t = min(max(t, 0), 1)
                    let ex = px - (x0 + t * dx), ey = py - (y0 + t * dy)
                    let distance = (ex * ex + ey * ey).squareRoot()
                    let c = Float(min(max(half + 0.5 - distance, 0), 1)) * strength
                    if c > cover[y * width + x] { cover[y * width + x] = c }
                }
            }
        }
    }

    /// Strokes the open polyline through `points`.
    mutating func strokePolyline(_ points: [(x: Double, y: Double)], thickness: Double) {
        for (a, b) in zip(points, points.dropFirst()) { strokeSegment(a.x, a.y, b.x, b.y, thickness: thickness) }
        if points.count == 1 { strokeSegment(points[0].x, points[0].y, points[0].x, points[0].y, thickness: thickness) }
    }

    /// Covers the rectangle `x0..<x1`, `y0..<y1` (fractional edges cover pixels partly), scaled by `strength`.
    mutating func fillRectangle(x0: Double, y0: Double, x1: Double, y1: Double, strength: Float = 1) {
        let left = max(0, Int(x0.rounded(.down))), right = min(width - 1, Int(x1.rounded(.up)) - 1)
        let top = max(0, Int(y0.rounded(.down))), bottom = min(height - 1, Int(y1.rounded(.up)) - 1)
        guard left <= right, top <= bottom else { return }
        for y in top...bottom {
            let fy = min(Double(y + 1), y1) - max(Double(y), y0)
            for x in left...right {
                let fx = min(Double(x + 1), x1) - max(Double(x), x0)
                let c = Float(max(0, fx) * max(0, fy)) * strength
                if c > coverage[y * width + x] { coverage[y * width + x] = c }
            }
        }
    }
}
