/// How an image becomes a network's input: an optional crop, a resize to a square, then the
/// model's preprocessing. Inference, training and evaluation all go through this one type, so a
/// model sees at serving time exactly what it saw in training.
public struct InputTransform: Sendable, Equatable {
    /// The side of the square input, in pixels.
    public var inputSize: Int
    /// The filter that resizes the (cropped) image to `inputSize`.
    public var resize: ResizeFilter
    /// How pixel values become network inputs.
    public var preprocessing: Preprocessing
    /// The part of the page kept before resizing; nil keeps the whole image.
    public var crop: CropBox?

    public init(inputSize: Int, resize: ResizeFilter, preprocessing: Preprocessing, crop: CropBox? = nil) {
        precondition(inputSize > 0, "input size must be positive")
        self.inputSize = inputSize
        self.resize = resize
        self.preprocessing = preprocessing
        self.crop = crop
    }

    /// `inputSize * inputSize * 3`: the floats one image becomes.
    public var valuesPerImage: Int { inputSize * inputSize * 3 }

    /// The cropped and resized image, before preprocessing.
    public func resized(_ image: RGBImage) -> RGBImage {
        let kept = crop.map { image.cropped(to: $0) } ?? image
        return kept.width == inputSize && kept.height == inputSize
            ? kept : kept.resized(width: inputSize, height: inputSize, filter: resize)
    }

    /// Writes the image's `valuesPerImage` network inputs (height x width x channel) to `destination`.
    public func apply(to image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        preprocessing.apply(to: resized(image), into: destination)
    }
}
