/// The resampling filters of the reference (Pillow) pipelines.
public enum ResizeFilter: String, Codable, Sendable, CaseIterable {
    /// Pillow's `Resampling.BICUBIC` (Keys cubic, a = -0.5), the default of `Image.resize`.
    case bicubic
    /// Pillow's `Resampling.BILINEAR` (triangle filter).
    case bilinear
    /// Pillow's `Resampling.NEAREST` (pixel-centre nearest neighbour, no antialiasing).
    case nearest
}

extension RGBImage {
    /// Returns the image resampled to a new size, bit-exactly as Pillow's `Image.resize` does it.
    ///
    /// The convolution filters follow Pillow's `libImaging/Resample.c`: the filter support widens with
    /// the downscaling factor (antialiasing), the per-pixel weights are normalised and converted to
    /// 22-bit fixed point, and the image is filtered horizontally, rounded and clipped to 8 bits, then
    /// filtered vertically. ``ResizeFilter/nearest`` samples each output pixel's centre, as Pillow does.
    ///
    /// - Parameters:
    ///   - width: The output width in pixels; must be positive.
    ///   - height: The output height in pixels; must be positive.
    ///   - filter: The resampling filter; bicubic, like Pillow's default.
    /// - Returns: The resized image, or the image itself when the size is unchanged.
    public func resized(width: Int, height: Int, filter: ResizeFilter = .bicubic) -> RGBImage {
        precondition(width > 0 && height > 0, "resize target must be positive")
        if width == self.width && height == self.height { return self }
        switch filter {
        case .nearest: return nearestResized(width: width, height: height)
        case .bilinear: return convolved(width: width, height: height, kernel: .bilinear)
        case .bicubic: return convolved(width: width, height: height, kernel: .bicubic)
        }
    }

    private func convolved(width outWidth: Int, height outHeight: Int, kernel: Kernel) -> RGBImage {
        let vertical = WeightTable(inputSize: height, outputSize: outHeight, kernel: kernel)
        guard outWidth != width else {
            return RGBImage(width: width, height: outHeight,
                            pixels: Self.verticalPass(pixels, rowLength: width * 3, table: vertical, firstRow: 0))
        }
        let horizontal = WeightTable(inputSize: width, outputSize: outWidth, kernel: kernel)
        guard outHeight != height else {
            return RGBImage(width: outWidth, height: height,
                            pixels: Self.horizontalPass(pixels, width: width, table: horizontal, rows: 0..<height))
        }
        if outWidth > width && outHeight < height {
            // Pillow shrinks first when one axis grows and the other shrinks; the rounding differs by order.
            let shrunk = Self.verticalPass(pixels, rowLength: width * 3, table: vertical, firstRow: 0)
            return RGBImage(width: outWidth, height: outHeight,
                            pixels: Self.horizontalPass(shrunk, width: width, table: horizontal, rows: 0..<outHeight))
        }
        // Only the rows the vertical pass reads are filtered horizontally.
        let firstRow = vertical.starts[0]
        let endRow = vertical.starts[outHeight - 1] + vertical.counts[outHeight - 1]
        let temporary = Self.horizontalPass(pixels, width: width, table: horizontal, rows: firstRow..<endRow)
        return RGBImage(width: outWidth, height: outHeight,
                        pixels: Self.verticalPass(temporary, rowLength: outWidth * 3, table: vertical, firstRow: firstRow))
    }

    /// Filters the given rows of a `width`-pixel-wide image along its rows.
    private static func horizontalPass(_ input: [UInt8], width: Int, table: WeightTable, rows: Range<Int>) -> [UInt8] {
        let outWidth = table.starts.count
        let count = rows.count * outWidth * 3
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            input.withUnsafeBufferPointer { source in
                table.weights.withUnsafeBufferPointer { weights in
                    for (outRow, row) in rows.enumerated() {
                        let input = source.baseAddress! + row * width * 3
                        let output = out.baseAddress! + outRow * outWidth * 3
                        for x in 0..<outWidth {
                            let k = weights.baseAddress! + x * table.taps
                            var pixel = input + table.starts[x] * 3
                            var red = WeightTable.half, green = WeightTable.half, blue = WeightTable.half
                            for tap in 0..<table.counts[x] {
                                let weight = k[tap]
                                red &+= Int32(pixel[0]) &* weight
                                green &+= Int32(pixel[1]) &* weight
                                blue &+= Int32(pixel[2]) &* weight
                                pixel += 3
                            }
                            output[3 * x] = WeightTable.clip(red)
                            output[3 * x + 1] = WeightTable.clip(green)
                            output[3 * x + 2] = WeightTable.clip(blue)
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// Filters columns; `firstRow` is the source row that `input`'s first row corresponds to.
    private static func verticalPass(_ input: [UInt8], rowLength: Int, table: WeightTable, firstRow: Int) -> [UInt8] {
        let outHeight = table.starts.count
        let count = outHeight * rowLength
        var sums = [Int32](repeating: 0, count: rowLength)
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            input.withUnsafeBufferPointer { source in
                table.weights.withUnsafeBufferPointer { weights in
                    sums.withUnsafeMutableBufferPointer { sums in
                        for y in 0..<outHeight {
                            sums.update(repeating: WeightTable.half)
                            let k = weights.baseAddress! + y * table.taps
                            for tap in 0..<table.counts[y] {
                                let weight = k[tap]
                                let row = source.baseAddress! + (table.starts[y] - firstRow + tap) * rowLength
                                for index in 0..<rowLength {
                                    sums[index] &+= Int32(row[index]) &* weight
                                }
                            }
                            let output = out.baseAddress! + y * rowLength
                            for index in 0..<rowLength {
                                output[index] = WeightTable.clip(sums[index])
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// Pillow's nearest-neighbour scaling (`ImagingScaleAffine`): the source coordinate of each
    /// output pixel centre, accumulated in double precision and truncated.
    private func nearestResized(width outWidth: Int, height outHeight: Int) -> RGBImage {
        let columns = Self.nearestIndices(inputSize: width, outputSize: outWidth)
        let rows = Self.nearestIndices(inputSize: height, outputSize: outHeight)
        let count = outWidth * outHeight * 3
        let out = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            pixels.withUnsafeBufferPointer { source in
                for (y, row) in rows.enumerated() {
                    let input = source.baseAddress! + row * width * 3
                    let output = out.baseAddress! + y * outWidth * 3
                    for (x, column) in columns.enumerated() {
                        output[3 * x] = input[3 * column]
                        output[3 * x + 1] = input[3 * column + 1]
                        output[3 * x + 2] = input[3 * column + 2]
                    }
                }
            }
            initialized = count
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    private static func nearestIndices(inputSize: Int, outputSize: Int) -> [Int] {
        let step = Double(inputSize) / Double(outputSize)
        var position = step * 0.5
        var indices: [Int] = []
        indices.reserveCapacity(outputSize)
        for _ in 0..<outputSize {
            // The position stays below inputSize; the clamp only guards against rounding drift.
            indices.append(min(Int(position), inputSize - 1))
            position += step
        }
        return indices
    }
}

/// A separable convolution kernel of Pillow's resampler.
private struct Kernel {
    /// The half-width of the kernel at scale 1.
    let support: Double
    let evaluate: @Sendable (Double) -> Double

    static let bilinear = Kernel(support: 1) { x in
        let x = abs(x)
        return x < 1 ? 1 - x : 0
    }

    static let bicubic = Kernel(support: 2) { x in
        let a = -0.5
        let x = abs(x)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }
}

/// Fixed-point weights for resampling one axis, computed as Pillow's `precompute_coeffs` and
/// `normalize_coeffs_8bpc` do.
private struct WeightTable {
    /// Fractional bits of the fixed-point weights (Pillow's `PRECISION_BITS`).
    static let precisionBits: Int32 = 32 - 8 - 2
    /// The rounding offset every sum starts from.
    static let half: Int32 = 1 << (precisionBits - 1)

    /// The stride between the weights of consecutive output pixels.
    let taps: Int
    /// The first input index each output pixel reads.
    let starts: [Int]
    /// How many input pixels each output pixel reads.
    let counts: [Int]
    /// `taps` weights per output pixel, in units of 2^-22.
    let weights: [Int32]

    init(inputSize: Int, outputSize: Int, kernel: Kernel) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let inverseFilterScale = 1 / filterScale
        let support = kernel.support * filterScale
        taps = Int(support.rounded(.up)) * 2 + 1
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * taps)
        var real = [Double](repeating: 0, count: taps)
        for out in 0..<outputSize {
            let center = (Double(out) + 0.5) * scale
            let start = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), inputSize) - start
            var total = 0.0
            for tap in 0..<count {
                let weight = kernel.evaluate((Double(tap + start) - center + 0.5) * inverseFilterScale)
                real[tap] = weight
                total += weight
            }
            for tap in 0..<count {
                let normalized = total != 0 ? real[tap] / total : real[tap]
                let fixed = normalized * Double(1 << Self.precisionBits)
                weights[out * taps + tap] = Int32(normalized < 0 ? fixed - 0.5 : fixed + 0.5)
            }
            starts[out] = start
            counts[out] = count
        }
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }

    /// Converts a fixed-point sum to a sample, clipping to 0...255.
    @inline(__always)
    static func clip(_ sum: Int32) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }
}
