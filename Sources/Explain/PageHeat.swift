import ImageIO
import Inference

/// A heatmap laid over the whole page at some raster size: the image the model saw is the
/// page's crop box (the whole page without one) stretched to a square, so the map covers the
/// crop box and the rest of the page gets no heat (the model never saw it).
public struct PageHeat: Sendable {
    public let width: Int
    public let height: Int
    /// Heat per raster pixel, row-major, 0...1.
    public let values: [Float]

    /// Samples `heatmap` at the centre of every pixel of a `width x height` raster of the page.
    public init(_ heatmap: Heatmap, crop: CropBox?, width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a page raster needs a positive size")
        let box = crop ?? CropBox(left: 0, top: 0, right: 1, bottom: 1)!
        var values = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let fy = (Double(y) + 0.5) / Double(height)
            guard fy >= box.top, fy < box.bottom else { continue }
            let v = (fy - box.top) / (box.bottom - box.top)
            for x in 0..<width {
                let fx = (Double(x) + 0.5) / Double(width)
                guard fx >= box.left, fx < box.right else { continue }
                values[y * width + x] = heatmap.sample(u: (fx - box.left) / (box.right - box.left), v: v)
            }
        }
        self.width = width
        self.height = height
        self.values = values
    }

    /// The heat summed over the raster.
    public var total: Double { values.reduce(0) { $0 + Double($1) } }

    /// The share of the heat whose pixel centres lie inside `box` (nil when there is no heat).
    public func share(inside box: CropBox) -> Double? {
        let total = self.total
        guard total > 0 else { return nil }
        var inside = 0.0
        for y in 0..<height {
            let fy = (Double(y) + 0.5) / Double(height)
            guard fy >= box.top, fy < box.bottom else { continue }
            for x in 0..<width {
                let fx = (Double(x) + 0.5) / Double(width)
                if fx >= box.left, fx < box.right { inside += Double(values[y * width + x]) }
            }
        }
        return inside / total
    }

    /// The hot regions: 4-connected areas of pixels at or above `threshold` (a fraction of the
    /// map's peak), largest share of the total heat first, at most `limit` of them.
    public func regions(threshold: Float = 0.5, limit: Int = 5) -> [HeatRegion] {
        let total = self.total
        guard total > 0 else { return [] }
        var seen = [Bool](repeating: false, count: values.count)
        var found: [HeatRegion] = []
        var stack: [Int] = []
        for start in values.indices where !seen[start] && values[start] >= threshold {
            seen[start] = true
            stack.append(start)
            var (minX, minY, maxX, maxY, heat) = (width, height, -1, -1, 0.0)
            while let index = stack.popLast() {
                let (x, y) = (index % width, index / width)
                (minX, minY, maxX, maxY) = (min(minX, x), min(minY, y), max(maxX, x), max(maxY, y))
                heat += Double(values[index])
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && nx < width && ny >= 0 && ny < height {
                    let next = ny * width + nx
                    if !seen[next] && values[next] >= threshold {
                        seen[next] = true
                        stack.append(next)
                    }
                }
            }
            found.append(HeatRegion(
                x: Double(minX) / Double(width), y: Double(minY) / Double(height),
                width: Double(maxX - minX + 1) / Double(width), height: Double(maxY - minY + 1) / Double(height),
                share: heat / total))
        }
        return Array(found.sorted { $0.share > $1.share }.prefix(limit))
    }
}
