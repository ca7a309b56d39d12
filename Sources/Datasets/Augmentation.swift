import Determinism
import ImageIO

/// Random changes to a training image that keep what it shows: a small rotation, scale and shift,
/// brightness and contrast, Gaussian blur and JPEG re-encoding noise. Stored in a recipe as JSON;
/// missing keys mean "off", so `{}` is ``none``.
///
/// NOTE: no flips by default: a mirrored ECG is a different ECG (lead order, time running right to
/// left). `horizontalFlip` exists for experiments and is off.
public struct Augmentation: Codable, Sendable, Equatable {
    /// Rotation in degrees, drawn uniformly from `-rotationDegrees...rotationDegrees`.
    public var rotationDegrees: Double
    /// Zoom factor, drawn uniformly from `1 - scale...1 + scale`.
    public var scale: Double
    /// Shift, drawn uniformly from `-translation...translation` of the width (x) and height (y).
    public var translation: Double
    /// Added to every sample, drawn uniformly from `-brightness...brightness` times 255.
    public var brightness: Double
    /// Distance from the mean multiplied by a factor drawn uniformly from `1 - contrast...1 + contrast`.
    public var contrast: Double
    /// The chance of a Gaussian blur, whose sigma (pixels) is drawn uniformly from `0...maxBlurSigma`.
    public var blurProbability: Double, maxBlurSigma: Double
    /// The chance of a JPEG round trip, at a quality drawn uniformly from `jpegQuality`.
    public var jpegProbability: Double, jpegQuality: ClosedRange<Int>
    /// Mirror left to right with probability one half. Off: see the note above.
    public var horizontalFlip: Bool

    public init(rotationDegrees: Double = 0, scale: Double = 0, translation: Double = 0, brightness: Double = 0,
                contrast: Double = 0, blurProbability: Double = 0, maxBlurSigma: Double = 0, jpegProbability: Double = 0,
                jpegQuality: ClosedRange<Int> = 75...95, horizontalFlip: Bool = false) {
        self.rotationDegrees = rotationDegrees
        self.scale = scale
        self.translation = translation
        self.brightness = brightness
        self.contrast = contrast
        self.blurProbability = blurProbability
        self.maxBlurSigma = maxBlurSigma
        self.jpegProbability = jpegProbability
        self.jpegQuality = jpegQuality
        self.horizontalFlip = horizontalFlip
    }

    /// Leaves every image as it is.
    public static let none = Augmentation()

    /// For ECG report pages: ±2°, ±5 % zoom, ±3 % shift, ±8 % brightness, ±15 % contrast, blur
    /// (sigma up to 1 px) and JPEG noise (quality 40-90) each on 30 % of images; no flips.
    public static let ecg = Augmentation(rotationDegrees: 2, scale: 0.05, translation: 0.03, brightness: 0.08, contrast: 0.15,
                                         blurProbability: 0.3, maxBlurSigma: 1, jpegProbability: 0.3, jpegQuality: 40...90)

    /// Whether ``apply(to:using:)`` returns every image unchanged.
    public var isIdentity: Bool {
        rotationDegrees == 0 && scale == 0 && translation == 0 && brightness == 0 && contrast == 0
            && (blurProbability == 0 || maxBlurSigma == 0) && jpegProbability == 0 && !horizontalFlip
    }

    /// A randomly changed copy of `image`, of the same size.
    ///
    /// The same generator state gives the same image: the generator advances by the same number of
    /// draws whatever is switched on, so changing one setting does not reshuffle the others.
    public func apply(to image: RGBImage, using generator: inout SplitMix64) -> RGBImage {
        func uniform(_ range: Double) -> Double { (generator.unit() * 2 - 1) * range }
        let angle = uniform(rotationDegrees) * .pi / 180
        let zoom = 1 + uniform(scale)
        let shiftX = uniform(translation) * Double(image.width), shiftY = uniform(translation) * Double(image.height)
        let mirror = generator.unit() < 0.5 && horizontalFlip
        let offset = uniform(brightness) * 255, factor = 1 + uniform(contrast)
        let blurs = generator.unit() < blurProbability, sigma = generator.unit() * maxBlurSigma
        let reencodes = generator.unit() < jpegProbability
        let quality = jpegQuality.lowerBound + Int(generator.next() % UInt64(jpegQuality.count))

        var result = image
        if angle != 0 || zoom != 1 || shiftX != 0 || shiftY != 0 || mirror {
            result = result.warped(angle: angle, scale: zoom, shiftX: shiftX, shiftY: shiftY, mirror: mirror)
        }
        if offset != 0 || factor != 1 { result = result.adjusted(brightness: offset, contrast: factor) }
        if blurs && sigma > 0 { result = result.blurred(sigma: sigma) }
        if reencodes, let data = try? ImageEncoder.jpeg(result, quality: quality), let decoded = try? ImageDecoder.decode(data) {
            result = decoded
        }
        return result
    }

    // MARK: - Codable: every key optional, ranges checked.

    enum CodingKeys: String, CodingKey {
        case rotationDegrees = "rotation_degrees", scale, translation, brightness, contrast
        case blurProbability = "blur_probability", maxBlurSigma = "max_blur_sigma"
        case jpegProbability = "jpeg_probability", jpegQuality = "jpeg_quality", horizontalFlip = "horizontal_flip"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys, in range: ClosedRange<Double>) throws -> Double {
            let value = try container.decodeIfPresent(Double.self, forKey: key) ?? 0
            guard range.contains(value) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue) must be in \(range)")
            }
            return value
        }
        let quality = try container.decodeIfPresent(ClosedRange<Int>.self, forKey: .jpegQuality) ?? Self.none.jpegQuality
        guard quality.lowerBound >= 1, quality.upperBound <= 100 else {
            throw DecodingError.dataCorruptedError(forKey: .jpegQuality, in: container, debugDescription: "jpeg_quality must lie in 1...100")
        }
        self.init(rotationDegrees: try value(.rotationDegrees, in: 0...45), scale: try value(.scale, in: 0...0.5),
                  translation: try value(.translation, in: 0...0.5), brightness: try value(.brightness, in: 0...1),
                  contrast: try value(.contrast, in: 0...1), blurProbability: try value(.blurProbability, in: 0...1),
                  maxBlurSigma: try value(.maxBlurSigma, in: 0...20), jpegProbability: try value(.jpegProbability, in: 0...1),
                  jpegQuality: quality, horizontalFlip: try container.decodeIfPresent(Bool.self, forKey: .horizontalFlip) ?? false)
    }
}

extension SplitMix64 {
    /// A uniform draw from `0..<1` (53 random bits).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
