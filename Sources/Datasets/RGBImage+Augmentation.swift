import Foundation
import ImageIO

/// The pixel operations behind ``Augmentation``.
extension RGBImage {
    /// Every sample moved away from the image's mean by `contrast` times its distance, plus
    /// `brightness` (in sample units), clamped to 0...255.
    func adjusted(brightness: Double, contrast: Double) -> RGBImage {
        let mean = Double(pixels.reduce(0) { $0 + Int($1) }) / Double(pixels.count)
        let table = (0..<256).map { value in
            UInt8(min(max((Double(value) - mean) * contrast + mean + brightness, 0), 255).rounded())
        }
        return RGBImage(width: width, height: height, pixels: pixels.map { table[Int($0)] })
    }

    /// The image convolved with a Gaussian of standard deviation `sigma` pixels (separable,
    /// radius `ceil(3 sigma)`, edges repeated).
    func blurred(sigma: Double) -> RGBImage {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let horizontal = convolved(weights, radius: radius, step: (1, 0))
        return horizontal.convolved(weights, radius: radius, step: (0, 1))
    }

    /// One pass of a 1-D filter along x (`step` (1, 0)) or y (`step` (0, 1)).
    private func convolved(_ weights: [Double], radius: Int, step: (x: Int, y: Int)) -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                for x in 0..<width {
                    var sums = (0.0, 0.0, 0.0)
                    for tap in -radius...radius {
                        let sx = min(max(x + tap * step.x, 0), width - 1), sy = min(max(y + tap * step.y, 0), height - 1)
                        let offset = (sy * width + sx) * 3, weight = weights[tap + radius]
                        sums.0 += weight * Double(source[offset])
                        sums.1 += weight * Double(source[offset + 1])
                        sums.2 += weight * Double(source[offset + 2])
                    }
                    let offset = (y * width + x) * 3
                    out[offset] = UInt8(min(max(sums.0, 0), 255).rounded())
                    out[offset + 1] = UInt8(min(max(sums.1, 0), 255).rounded())
                    out[offset + 2] = UInt8(min(max(sums.2, 0), 255).rounded())
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
