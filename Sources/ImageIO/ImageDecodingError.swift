/// Why an image could not be decoded.
///
/// Every malformed input maps to one of these cases; the decoders never trap on bad data.
public enum ImageDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input contained no bytes.
    case empty
    /// The input is neither a JPEG nor a PNG (judged by its leading magic bytes).
    case unsupportedFormat
    /// The image is a JPEG, but in a colour model this decoder does not convert (CMYK or YCCK).
    case unsupportedColorSpace(String)
    /// The input ends before the image data is complete.
    case truncated
    /// The input is malformed; the associated text is the codec's explanation.
    case corrupt(String)
    /// The header declares more pixels than the caller allows; nothing was allocated or decoded.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// A JPEG has more scans than the caller allows, or more `pixels * scans` (the work of
    /// decoding it); nothing was allocated or decoded.
    case tooManyScans(scans: Int, pixels: Int, limit: String)

    /// A one-line, human-readable explanation of the error.
    public var description: String {
        switch self {
        case .empty:
            "the image data is empty"
        case .unsupportedFormat:
            "the data is not a JPEG or PNG image"
        case .unsupportedColorSpace(let space):
            "unsupported JPEG colour space \(space)"
        case .truncated:
            "the image data is truncated"
        case .corrupt(let reason):
            "the image data is corrupt: \(reason)"
        case .tooManyPixels(let width, let height, let limit):
            "the image is \(width)x\(height) pixels, more than the limit of \(limit)"
        case .tooManyScans(let scans, let pixels, let limit):
            "the JPEG has \(scans) scans over \(pixels) pixels, more than the limit of \(limit)"
        }
    }
}
