import Foundation

/// Affine resampling shared by training augmentation and page straightening.
extension RGBImage {
    /// The image rotated by `angle` (radians, counter-clockwise on screen), zoomed by `scale` about
    /// its centre, optionally mirrored, then shifted; same size, bilinear samples, white where the
    /// source does not reach (the colour of the paper).
    public func warped(angle: Double, scale: Double, shiftX: Double, shiftY: Double, mirror: Bool) -> RGBImage {
        let centreX = Double(width - 1) / 2, centreY = Double(height - 1) / 2
        // Inverse map: output pixel -> source position.
        let cosine = cos(angle) / scale, sine = sin(angle) / scale
        // Source position = (xStep, yStep) per output column plus a per-row start, a linear map.
        let mirrorSign = mirror ? -1.0 : 1.0
        let xStep = (cosine * mirrorSign, sine), yStep = (-sine * mirrorSign, cosine)
        var out = [UInt8](repeating: 255, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let dy = Double(y) - centreY - shiftY, dx0 = -centreX - shiftX
                    for x in 0..<width {
                        let dx = dx0 + Double(x)
                        let sourceX = xStep.0 * dx + yStep.0 * dy + centreX
                        let sourceY = xStep.1 * dx + yStep.1 * dy + centreY
                        let x0 = Int(sourceX.rounded(.down)), y0 = Int(sourceY.rounded(.down))
                        guard x0 >= -1, y0 >= -1, x0 < width, y0 < height else { continue }
                        let fx = sourceX - Double(x0), fy = sourceY - Double(y0)
                        let weights = ((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
                        let output = (y * width + x) * 3
                        if x0 >= 0, y0 >= 0, x0 + 1 < width, y0 + 1 < height {
                            let a = (y0 * width + x0) * 3, b = a + 3, c = a + width * 3, d = c + 3
                            for channel in 0..<3 {
                                let value = weights.0 * Double(source[a + channel]) + weights.1 * Double(source[b + channel])
                                    + weights.2 * Double(source[c + channel]) + weights.3 * Double(source[d + channel])
                                target[output + channel] = UInt8(min(max(value, 0), 255).rounded())
                            }
                        } else {
                            // At the border: samples outside the image are paper white.
                            func sample(_ sx: Int, _ sy: Int, _ channel: Int) -> Double {
                                (0..<width).contains(sx) && (0..<height).contains(sy) ? Double(source[(sy * width + sx) * 3 + channel]) : 255
                            }
                            for channel in 0..<3 {
                                let value = weights.0 * sample(x0, y0, channel) + weights.1 * sample(x0 + 1, y0, channel)
                                    + weights.2 * sample(x0, y0 + 1, channel) + weights.3 * sample(x0 + 1, y0 + 1, channel)
                                target[output + channel] = UInt8(min(max(value, 0), 255).rounded())
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
