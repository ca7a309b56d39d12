/// A class-activation map over a network's last convolutional grid, `height x width` values
/// in 0...1 (row-major), 1 at the strongest evidence for the explained class.
public struct Heatmap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let values: [Float]
    /// The largest raw value before normalising; 0 when no part of the image spoke for the
    /// class (then every value is 0).
    public let peak: Float

    public init(width: Int, height: Int, values: [Float], peak: Float) {
        precondition(width > 0 && height > 0 && values.count == width * height, "a heatmap needs width x height values")
        self.width = width
        self.height = height
        self.values = values
        self.peak = peak
    }

    /// The map's value at `(u, v)`, fractions of its width and height (0...1), by bilinear
    /// interpolation between cell centres (clamped at the borders), as an upsampled CAM is drawn.
    public func sample(u: Double, v: Double) -> Float {
        let x = min(max(u * Double(width) - 0.5, 0), Double(width - 1))
        let y = min(max(v * Double(height) - 0.5, 0), Double(height - 1))
        let (x0, y0) = (Int(x), Int(y))
        let (x1, y1) = (min(x0 + 1, width - 1), min(y0 + 1, height - 1))
        let (fx, fy) = (Float(x - Double(x0)), Float(y - Double(y0)))
        let top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx
        let bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx
        return top * (1 - fy) + bottom * fy
    }
}
