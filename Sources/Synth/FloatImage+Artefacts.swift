import Determinism
import Foundation

/// The photographic artefacts, applied to the rendered page.
extension FloatImage {
    /// Multiplies the paper by a tint, a smooth mottling and fine fibre noise (ink and grid included,
    /// as printing on textured paper does).
    mutating func applyTexture(depth: Double, tint: Colour, using rng: inout SplitMix64) {
        let cell = max(8, width / 40), cols = width / cell + 2, rows = height / cell + 2
        let coarse = (0..<(cols * rows)).map { _ in Float(rng.uniform(-1...1)) }
        let tintRGB = [Float(tint.red), Float(tint.green), Float(tint.blue)]
        let d = Float(depth)
        var fine = rng
        for y in 0..<height {
            let gy = Float(y) / Float(cell), y0 = Int(gy), fy = gy - Float(y0)
            for x in 0..<width {
                let gx = Float(x) / Float(cell), x0 = Int(gx), fx = gx - Float(x0)
                let top = coarse[y0 * cols + x0] * (1 - fx) + coarse[y0 * cols + x0 + 1] * fx
                let bottom = coarse[(y0 + 1) * cols + x0] * (1 - fx) + coarse[(y0 + 1) * cols + x0 + 1] * fx
                let grain = Float(Int(truncatingIfNeeded: fine.next() >> 56) - 128) / 128
                let factor = 1 - d * (0.5 + 0.5 * (top * (1 - fy) + bottom * fy)) - d * 0.4 * grain
                for c in 0..<3 { pixels[3 * (y * width + x) + c] *= factor * tintRGB[c] }
            }
        }
    }

    /// The image a camera sees of the page through `homography` (page to image), sampled
    /// bilinearly; what lies outside the page is `background`.
    func warped(by homography: Homography, background: Colour) -> FloatImage {
        var out = FloatImage(width: width, height: height, fill: background)
        let inverse = homography.inverse
        pixels.withUnsafeBufferPointer { source in
            out.pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    for x in 0..<width {
                        let p = inverse.apply(Double(x) + 0.5, Double(y) + 0.5)
                        let sx = p.x - 0.5, sy = p.y - 0.5
                        guard sx >= 0, sy >= 0, sx <= Double(width - 1), sy <= Double(height - 1) else { continue }
                        let x0 = min(Int(sx), width - 2), y0 = min(Int(sy), height - 2)
                        let fx = Float(sx - Double(x0)), fy = Float(sy - Double(y0))
                        let i00 = 3 * (y0 * width + x0), i10 = i00 + 3, i01 = i00 + 3 * width, i11 = i01 + 3
                        for c in 0..<3 {
                            let top = source[i00 + c] * (1 - fx) + source[i10 + c] * fx
                            let bottom = source[i01 + c] * (1 - fx) + source[i11 + c] * fx
                            target[3 * (y * width + x) + c] = top * (1 - fy) + bottom * fy
                        }
                    }
                }
            }
        }
        return out
    }

    /// Uneven light: a linear brightness gradient and an optional soft-edged shadow.
    mutating func applyLighting(_ a: Artefacts) {
        let direction = a.lightDirection * Double.pi / 180
        let (gx, gy) = (cos(direction), sin(direction))
        let shadowNormal = (a.shadowAngle * Double.pi / 180)
        let (nx, ny) = (cos(shadowNormal), sin(shadowNormal))
        let (px, py) = a.shadowPoint.count == 2 ? (a.shadowPoint[0] * Double(width), a.shadowPoint[1] * Double(height)) : (0, 0)
        let softness = max(a.shadowSoftness * Double(max(width, height)), 1)
        let diagonal = Double(width + height) / 2
        for y in 0..<height {
            for x in 0..<width {
                let u = (Double(x) - Double(width) / 2) / diagonal, v = (Double(y) - Double(height) / 2) / diagonal
                var factor = 1 - a.lightGradient * (0.5 + (u * gx + v * gy))
                if a.shadowStrength > 0 {
                    let distance = (Double(x) - px) * nx + (Double(y) - py) * ny
                    let inside = 1 / (1 + exp(-distance / softness * 4))
                    factor *= 1 - a.shadowStrength * inside
                }
                let f = Float(min(max(factor, 0), 1.1))
                for c in 0..<3 { pixels[3 * (y * width + x) + c] *= f }
            }
        }
    }

    /// A Gaussian blur of standard deviation `sigma` pixels, one axis at a time.
    mutating func blur(sigma: Double) {
        guard sigma > 0 else { return }
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        for (step, length, lines, lineStep) in [(3, width, height, 3 * width), (3 * width, height, width, 3)] {
            var line = [Float](repeating: 0, count: length * 3)
            for l in 0..<lines {
                let base = l * lineStep
                for i in 0..<length { for c in 0..<3 { line[3 * i + c] = pixels[base + i * step + c] } }
                for i in 0..<length {
                    var sum: (Float, Float, Float) = (0, 0, 0)
                    for k in -radius...radius {
                        let j = min(max(i + k, 0), length - 1), w = kernel[k + radius]
                        sum.0 += w * line[3 * j]
                        sum.1 += w * line[3 * j + 1]
                        sum.2 += w * line[3 * j + 2]
                    }
                    (pixels[base + i * step], pixels[base + i * step + 1], pixels[base + i * step + 2]) = sum
                }
            }
        }
    }
}
