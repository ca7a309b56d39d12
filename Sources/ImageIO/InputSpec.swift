import Foundation

/// A model's input contract: everything the pixels it sees depend on. How a JPEG is decoded
/// (at full size, or reduced by libjpeg-turbo when ``decodeRatio`` allows), then, once the image
/// is decoded (EXIF orientation applied), an optional crop, a resize to a square, then the
/// preprocessing.
///
/// Inference, training, evaluation and the server all turn an image into network input through
/// this one type (``decode(_:limits:)``, then ``apply(to:into:)``), so a model sees at serving time
/// exactly what it saw in training. Weights files carry it as JSON under the `input_spec` metadata key
/// (`{"input_size":224,"preprocessing":"standard","resize":"bicubic","crop":{…},"decode_ratio":2}`); where a
/// model's contract comes from (registry entry, then weights metadata, then the architecture's
/// default) is decided in one place, `Architecture.inputSpec(_:metadata:)` in Models.
public struct InputSpec: Codable, Hashable, Sendable {
    /// The side of the square input, in pixels.
    public var inputSize: Int
    /// The filter that resizes the (cropped) image to `inputSize`.
    public var resize: ResizeFilter
    /// How pixel values become network inputs.
    public var preprocessing: Preprocessing
    /// The part of the page kept before resizing; nil keeps the whole image.
    public var crop: CropBox?
    /// Reduced JPEG decoding (JSON `decode_ratio`, opt-in): decode a JPEG at the smallest
    /// libjpeg-turbo scale (``JPEGScale``, M/8) that keeps the crop at least this many times the
    /// input size on both sides, instead of at full size. A 2213 x 1572 upload then costs a
    /// fraction of a full decode and of the resize after it, while the resize still filters
    /// from at least twice (for 2) the pixels it keeps. Nil, as in every file written before the
    /// field, decodes at full size. PNGs are always decoded at full size.
    public var decodeRatio: Double?

    /// The input sizes a contract may name: large enough for every architecture's pooling, small
    /// enough that one image's input stays bounded (4096² x 3 floats is 200 MB).
    public static let inputSizes = 1...4096
    /// The decode ratios a contract may name: at least the input size, at most 16 times it.
    public static let decodeRatios = 1.0...16.0

    public init(inputSize: Int, resize: ResizeFilter, preprocessing: Preprocessing, crop: CropBox? = nil,
                decodeRatio: Double? = nil) {
        precondition(Self.inputSizes.contains(inputSize), "input size must be in \(Self.inputSizes)")
        precondition(decodeRatio.map(Self.decodeRatios.contains) ?? true, "decode ratio must be in \(Self.decodeRatios)")
        self.inputSize = inputSize
        self.resize = resize
        self.preprocessing = preprocessing
        self.crop = crop
        self.decodeRatio = decodeRatio
    }

    /// `inputSize * inputSize * 3`: the floats one image becomes.
    public var valuesPerImage: Int { inputSize * inputSize * 3 }

    /// The shorter side a decoded JPEG must keep so that its crop is at least ``decodeRatio``
    /// times the input size on both sides, whichever way up the page turns out to be (the
    /// narrower crop fraction on the shorter side), one pixel to spare for the crop's rounding;
    /// nil without a ratio (full decode).
    public var decodeMinimumSide: Int? {
        guard let decodeRatio else { return nil }
        let kept = crop.map { min($0.right - $0.left, $0.bottom - $0.top) } ?? 1
        return Int(((decodeRatio * Double(inputSize) + 1) / kept).rounded(.up))
    }

    /// Decodes an image file (JPEG or PNG, EXIF orientation applied) as this contract says: a JPEG
    /// reduced per ``decodeRatio``, else at full size. Every path that turns a file into this
    /// model's input (classifier, server, batch scoring, training loader, evaluation) decodes here.
    /// - Throws: ``ImageDecodingError`` for input that is not a usable image or exceeds `limits`.
    public func decode(_ data: some ContiguousBytes, limits: ImageDecoder.Limits = .init()) throws(ImageDecodingError) -> RGBImage {
        try ImageDecoder.decode(data, limits: limits, minimumSide: decodeMinimumSide)
    }

    /// The image cropped to ``crop`` and resized to a `side` x `side` square (by default the
    /// input size), before preprocessing. A training loader asks for a larger side to augment
    /// before the final resize (``apply(toResized:into:)``).
    public func resized(_ image: RGBImage, side: Int? = nil) -> RGBImage {
        let side = side ?? inputSize
        let kept = crop.map { image.cropped(to: $0) } ?? image
        return kept.width == side && kept.height == side ? kept : kept.resized(width: side, height: side, filter: resize)
    }

    /// Writes the `valuesPerImage` network inputs (height x width x channel) of an image already
    /// cropped (by ``resized(_:side:)``, then perhaps augmented) to `destination`: resized to the
    /// input size where it is not that size already, then preprocessed.
    public func apply(toResized image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        let fitted = image.width == inputSize && image.height == inputSize
            ? image : image.resized(width: inputSize, height: inputSize, filter: resize)
        preprocessing.apply(to: fitted, into: destination)
    }

    /// Writes the image's `valuesPerImage` network inputs (height x width x channel) to
    /// `destination`: crop, resize, preprocessing. The one function every path uses.
    public func apply(to image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        apply(toResized: resized(image), into: destination)
    }

    /// The image's `valuesPerImage` network inputs (height x width x channel), as ``apply(to:into:)`` writes them.
    public func values(_ image: RGBImage) -> [Float] {
        [Float](unsafeUninitializedCapacity: valuesPerImage) { buffer, count in
            apply(to: image, into: buffer.baseAddress!)
            count = valuesPerImage
        }
    }

    private enum CodingKeys: String, CodingKey {
        case resize, preprocessing, crop
        case inputSize = "input_size", decodeRatio = "decode_ratio"
    }

    /// Reads the JSON form; an input size outside ``inputSizes`` or a decode ratio outside
    /// ``decodeRatios`` is a decoding error, not a crash. Without `decode_ratio`, JPEGs decode at full size.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let size = try values.decode(Int.self, forKey: .inputSize)
        guard Self.inputSizes.contains(size) else {
            throw DecodingError.dataCorruptedError(forKey: .inputSize, in: values,
                                                   debugDescription: "input_size \(size) is outside \(Self.inputSizes)")
        }
        let ratio = try values.decodeIfPresent(Double.self, forKey: .decodeRatio)
        guard ratio.map(Self.decodeRatios.contains) ?? true else {
            throw DecodingError.dataCorruptedError(forKey: .decodeRatio, in: values,
                                                   debugDescription: "decode_ratio \(ratio!) is outside \(Self.decodeRatios)")
        }
        self.init(inputSize: size, resize: try values.decode(ResizeFilter.self, forKey: .resize),
                  preprocessing: try values.decode(Preprocessing.self, forKey: .preprocessing),
                  crop: try values.decodeIfPresent(CropBox.self, forKey: .crop), decodeRatio: ratio)
    }

    /// Fields given by a registry entry or on a command line, each replacing the same field of
    /// the contract it is applied to; nil leaves that field as it is.
    public struct Overrides: Hashable, Sendable {
        public var inputSize: Int?
        public var preprocessing: Preprocessing?
        public var resize: ResizeFilter?
        public var crop: CropBox?
        public var decodeRatio: Double?

        public init(inputSize: Int? = nil, preprocessing: Preprocessing? = nil, resize: ResizeFilter? = nil, crop: CropBox? = nil,
                    decodeRatio: Double? = nil) {
            self.inputSize = inputSize
            self.preprocessing = preprocessing
            self.resize = resize
            self.crop = crop
            self.decodeRatio = decodeRatio
        }

        /// `base` with each given field replaced.
        public func applied(to base: InputSpec) -> InputSpec {
            InputSpec(inputSize: inputSize ?? base.inputSize, resize: resize ?? base.resize,
                      preprocessing: preprocessing ?? base.preprocessing, crop: crop ?? base.crop,
                      decodeRatio: decodeRatio ?? base.decodeRatio)
        }
    }
}
