/// How 8-bit samples become the network's float input.
///
/// Each mode reproduces the reference float32 arithmetic exactly, operation by operation, so the
/// results are bit-identical to torchvision's `ToTensor()` (+ `Normalize`) and to Keras' equivalents.
public enum Preprocessing: String, Codable, Sendable, CaseIterable {
    /// `x / 255`, giving values in 0...1 (torchvision `ToTensor`, Keras `Rescaling(1/255)`).
    case rescale
    /// `(x / 255 - mean) / std` with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
    case imagenet
    /// `(x / 255 - 0.5) / 0.5`, giving values in -1...1.
    case standard

    /// Writes the preprocessed image in NHWC order (row, column, then red, green, blue).
    ///
    /// Writing into caller-owned memory lets a batch buffer be filled image by image without copies.
    ///
    /// - Parameters:
    ///   - image: The image to convert.
    ///   - destination: Memory for `image.height * image.width * 3` floats.
    public func apply(to image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        let table = lookupTable()
        table.withUnsafeBufferPointer { table in
            image.pixels.withUnsafeBufferPointer { pixels in
                let pixelCount = image.width * image.height
                for index in 0..<pixelCount {
                    let offset = index * 3
                    destination[offset] = table[Int(pixels[offset])]
                    destination[offset + 1] = table[256 + Int(pixels[offset + 1])]
                    destination[offset + 2] = table[512 + Int(pixels[offset + 2])]
                }
            }
        }
    }

    /// Returns the preprocessed image in NHWC order (row, column, then red, green, blue).
    ///
    /// - Parameter image: The image to convert.
    /// - Returns: `image.height * image.width * 3` floats.
    public func apply(to image: RGBImage) -> [Float] {
        let count = image.pixels.count
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            apply(to: image, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// The output for every sample value, 256 entries per channel (red, green, blue).
    private func lookupTable() -> [Float] {
        let (mean, std): ([Double], [Double]) = switch self {
        case .rescale: ([0, 0, 0], [1, 1, 1])
        case .imagenet: ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        case .standard: ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
        }
        var table: [Float] = []
        table.reserveCapacity(3 * 256)
        for channel in 0..<3 {
            // The reference rounds the Python doubles to float32 tensors, then works in float32.
            let channelMean = Float(mean[channel]), channelStd = Float(std[channel])
            for value in 0..<256 {
                let scaled = Float(value) / 255
                table.append(self == .rescale ? scaled : (scaled - channelMean) / channelStd)
            }
        }
        return table
    }
}
