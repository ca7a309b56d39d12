import Foundation
import ImageIO

/// The pixel operations behind ``Augmentation``.
extension RGBImage {
    /// The image rotated by `angle` (radians, counter-clockwise on screen), zoomed by `scale` about
    /// its centre, optionally mirrored, then shifted; same size, bilinear samples, white where the
    /// source does not reach (the colour of the paper).
    func warped(angle: Double, scale: Double, shiftX: Double, shiftY: Double, mirror: Bool) -> RGBImage {
        let centreX = Double(width - 1) / 2, centreY = Double(height - 1) / 2
        // Inverse map: output pixel -> source position.
        let cosine = cos(angle) / scale, sine = sin(angle) / scale
        var out = [UInt8](repeating: 255, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let dy = Double(y) - centreY - shiftY
                    for x in 0..<width {
                        let dx = Double(x) - centreX - shiftX
                        var sourceX = cosine * dx - sine * dy
                        let sourceY = sine * dx + cosine * dy + centreY
                        if mirror { sourceX = -sourceX }
                        sourceX += centreX
                        let x0 = Int(sourceX.rounded(.down)), y0 = Int(sourceY.rounded(.down))
                        guard x0 >= -1, y0 >= -1, x0 < width, y0 < height else { continue }
                        let fx = sourceX - Double(x0), fy = sourceY - Double(y0)
                        for channel in 0..<3 {
                            func sample(_ sx: Int, _ sy: Int) -> Double {
                                (0..<width).contains(sx) && (0..<height).contains(sy)
                                    ? Double(source[(sy * width + sx) * 3 + channel]) : 255
                            }
                            let top = sample(x0, y0) * (1 - fx) + sample(x0 + 1, y0) * fx
                            let bottom = sample(x0, y0 + 1) * (1 - fx) + sample(x0 + 1, y0 + 1) * fx
                            target[(y * width + x) * 3 + channel] = UInt8(min(max(top * (1 - fy) + bottom * fy, 0), 255).rounded())
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

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
