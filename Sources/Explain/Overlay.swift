import ImageIO

/// Drawing a heatmap over the page: a colour map (blue, cool, through green and yellow to red,
/// hot), more opaque where hotter, so that the page shows through the cool parts; the part of
/// the page the model never saw (outside its crop box) is greyed out.
public enum Overlay {
    /// The `jet` colour of a heat value in 0...1.
    static func colour(_ t: Float) -> (Float, Float, Float) {
        func ramp(_ centre: Float) -> Float { min(max(1.5 - abs(4 * t - centre), 0), 1) * 255 }
        return (ramp(3), ramp(2), ramp(1))
    }

    /// `page` scaled to at most `maxSide` pixels on its long side, with `heatmap` drawn over it.
    public static func draw(_ heatmap: Heatmap, crop: CropBox?, on page: RGBImage, maxSide: Int = 1024) -> RGBImage {
        let scale = min(1, Double(maxSide) / Double(max(page.width, page.height)))
        let width = max(1, Int((Double(page.width) * scale).rounded()))
        let height = max(1, Int((Double(page.height) * scale).rounded()))
        let base = width == page.width && height == page.height ? page : page.resized(width: width, height: height, filter: .bilinear)
        let heat = PageHeat(heatmap, crop: crop, width: width, height: height)
        let box = crop ?? CropBox(left: 0, top: 0, right: 1, bottom: 1)!
        var pixels = base.pixels
        for y in 0..<height {
            let fy = (Double(y) + 0.5) / Double(height)
            for x in 0..<width {
                let fx = (Double(x) + 0.5) / Double(width)
                let offset = (y * width + x) * 3
                let seen = fx >= box.left && fx < box.right && fy >= box.top && fy < box.bottom
                let (r, g, b) = (Float(pixels[offset]), Float(pixels[offset + 1]), Float(pixels[offset + 2]))
                guard seen else {
                    // Not seen by the model: faded towards grey.
                    for (channel, value) in [r, g, b].enumerated() { pixels[offset + channel] = UInt8(value * 0.45 + 70) }
                    continue
                }
                let t = heat.values[y * width + x]
                let alpha = 0.15 + 0.5 * t
                let (cr, cg, cb) = colour(t)
                pixels[offset] = UInt8(min(255, r * (1 - alpha) + cr * alpha))
                pixels[offset + 1] = UInt8(min(255, g * (1 - alpha) + cg * alpha))
                pixels[offset + 2] = UInt8(min(255, b * (1 - alpha) + cb * alpha))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
