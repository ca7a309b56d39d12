/// Exact quarter turns and mirrors: EXIF orientation and upright pages.
extension RGBImage {
    /// The image as it should be shown for `orientation`: turned and mirrored so that the scene is upright.
    ///
    /// Matches Pillow's `ImageOps.exif_transpose` pixel for pixel (no resampling, only moves).
    public func oriented(_ orientation: ExifOrientation) -> RGBImage {
        let (w, h) = (width, height)
        // Source (x, y) for each output (x, y); the outputs of 5...8 are h wide and w high.
        switch orientation {
        case .up: return self
        case .upMirrored: return remapped(width: w, height: h) { x, y in (w - 1 - x, y) }
        case .down: return remapped(width: w, height: h) { x, y in (w - 1 - x, h - 1 - y) }
        case .downMirrored: return remapped(width: w, height: h) { x, y in (x, h - 1 - y) }
        case .leftMirrored: return remapped(width: h, height: w) { x, y in (y, x) }
        case .right: return remapped(width: h, height: w) { x, y in (y, h - 1 - x) }
        case .rightMirrored: return remapped(width: h, height: w) { x, y in (w - 1 - y, h - 1 - x) }
        case .left: return remapped(width: h, height: w) { x, y in (w - 1 - y, x) }
        }
    }

    /// The image turned clockwise by `quarterTurns` times 90 degrees (any integer; 4 is a full turn).
    public func rotatedClockwise(quarterTurns: Int) -> RGBImage {
        switch ((quarterTurns % 4) + 4) % 4 {
        case 1: oriented(.right)
        case 2: oriented(.down)
        case 3: oriented(.left)
        default: self
        }
    }

    /// A `width` x `height` image whose pixel (x, y) is this image's pixel `source(x, y)`.
    private func remapped(width: Int, height: Int, source: (Int, Int) -> (Int, Int)) -> RGBImage {
        let sourceWidth = self.width
        let out = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            pixels.withUnsafeBufferPointer { input in
                for y in 0..<height {
                    for x in 0..<width {
                        let (sx, sy) = source(x, y)
                        let from = (sy * sourceWidth + sx) * 3, to = (y * width + x) * 3
                        buffer[to] = input[from]
                        buffer[to + 1] = input[from + 1]
                        buffer[to + 2] = input[from + 2]
                    }
                }
            }
            count = width * height * 3
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
