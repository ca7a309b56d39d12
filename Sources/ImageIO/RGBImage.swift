/// An 8-bit RGB image with interleaved channels, stored row by row from the top-left pixel.
public struct RGBImage: Equatable, Sendable {
    /// The width in pixels.
    public let width: Int
    /// The height in pixels.
    public let height: Int
    /// The samples, `height * width * 3` bytes: row-major, each pixel as red, green, blue.
    public let pixels: [UInt8]

    /// Creates an image from interleaved RGB samples.
    ///
    /// - Parameters:
    ///   - width: The width in pixels; must be positive.
    ///   - height: The height in pixels; must be positive.
    ///   - pixels: Exactly `width * height * 3` samples, row-major, red-green-blue per pixel.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "image dimensions must be positive")
        precondition(pixels.count == width * height * 3, "expected \(width * height * 3) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Returns the red, green and blue samples of one pixel.
    ///
    /// - Parameters:
    ///   - x: The column, `0..<width`.
    ///   - y: The row, `0..<height`.
    /// - Returns: The pixel's `(red, green, blue)` samples.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        precondition((0..<width).contains(x) && (0..<height).contains(y), "pixel (\(x), \(y)) is outside the image")
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }

    /// Returns a rectangular part of the image.
    ///
    /// The rectangle must lie entirely inside the image and must not be empty.
    ///
    /// - Parameters:
    ///   - x: The left column of the rectangle.
    ///   - y: The top row of the rectangle.
    ///   - width: The width of the rectangle in pixels.
    ///   - height: The height of the rectangle in pixels.
    /// - Returns: A new image holding a copy of the rectangle's pixels.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "crop size must be positive")
        precondition(x >= 0 && y >= 0 && x + width <= self.width && y + height <= self.height,
                     "crop rectangle (\(x), \(y), \(width)x\(height)) exceeds the \(self.width)x\(self.height) image")
        let rowBytes = width * 3
        let sourceRowBytes = self.width * 3
        let out = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { buffer, count in
            pixels.withUnsafeBufferPointer { source in
                for row in 0..<height {
                    let from = source.baseAddress! + (y + row) * sourceRowBytes + x * 3
                    (buffer.baseAddress! + row * rowBytes).initialize(from: from, count: rowBytes)
                }
            }
            count = rowBytes * height
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
