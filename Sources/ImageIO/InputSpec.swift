/// A model's input contract: everything the pixels it sees depend on, once an image is decoded
/// (EXIF orientation applied). An optional crop, a resize to a square, then the preprocessing.
///
/// Inference, training, evaluation and the server all turn an image into network input through
/// this one type (``apply(to:into:)``), so a model sees at serving time exactly what it saw in
/// training. Weights files carry it as JSON under the `input_spec` metadata key
/// (`{"input_size":224,"preprocessing":"standard","resize":"bicubic","crop":{…}}`); where a
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

    /// The input sizes a contract may name: large enough for every architecture's pooling, small
    /// enough that one image's input stays bounded (4096² x 3 floats is 200 MB).
    public static let inputSizes = 1...4096

    public init(inputSize: Int, resize: ResizeFilter, preprocessing: Preprocessing, crop: CropBox? = nil) {
        precondition(Self.inputSizes.contains(inputSize), "input size must be in \(Self.inputSizes)")
        self.inputSize = inputSize
        self.resize = resize
        self.preprocessing = preprocessing
        self.crop = crop
    }

    /// `inputSize * inputSize * 3`: the floats one image becomes.
    public var valuesPerImage: Int { inputSize * inputSize * 3 }

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
        case inputSize = "input_size"
    }

    /// Reads the JSON form; an input size outside ``inputSizes`` is a decoding error, not a crash.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let size = try values.decode(Int.self, forKey: .inputSize)
        guard Self.inputSizes.contains(size) else {
            throw DecodingError.dataCorruptedError(forKey: .inputSize, in: values,
                                                   debugDescription: "input_size \(size) is outside \(Self.inputSizes)")
        }
        self.init(inputSize: size, resize: try values.decode(ResizeFilter.self, forKey: .resize),
                  preprocessing: try values.decode(Preprocessing.self, forKey: .preprocessing),
                  crop: try values.decodeIfPresent(CropBox.self, forKey: .crop))
    }

    /// Fields given by a registry entry or on a command line, each replacing the same field of
    /// the contract it is applied to; nil leaves that field as it is.
    public struct Overrides: Hashable, Sendable {
        public var inputSize: Int?
        public var preprocessing: Preprocessing?
        public var resize: ResizeFilter?
        public var crop: CropBox?

        public init(inputSize: Int? = nil, preprocessing: Preprocessing? = nil, resize: ResizeFilter? = nil, crop: CropBox? = nil) {
            self.inputSize = inputSize
            self.preprocessing = preprocessing
            self.resize = resize
            self.crop = crop
        }

        /// `base` with each given field replaced.
        public func applied(to base: InputSpec) -> InputSpec {
            InputSpec(inputSize: inputSize ?? base.inputSize, resize: resize ?? base.resize,
                      preprocessing: preprocessing ?? base.preprocessing, crop: crop ?? base.crop)
        }
    }
}
