/// Why a page could not be digitised. Each case says what was looked for and not found, so that
/// a caller can tell the user why no signal came back instead of returning noise.
public enum DigitiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The image is too small to hold a readable trace.
    case imageTooSmall(width: Int, height: Int)
    /// No regular millimetre grid was found.
    case noGrid(String)
    /// A grid was found but the page is not the 3x4+1 report layout.
    case unsupportedLayout(String)
    /// The layout was found but too few leads had a followable trace.
    case traceNotFound(String)
    /// Traces were followed, but what they say is implausible (see `TraceQuality`): most often a
    /// rotated or warped photo whose grid was still found.
    case implausibleTrace(String)

    public var description: String {
        switch self {
        case .imageTooSmall(let width, let height):
            "the image is \(width)x\(height) pixels; a report page needs at least 500x350 to be digitised"
        case .noGrid(let why): "no ECG grid found: \(why)"
        case .unsupportedLayout(let why): "unsupported page layout: \(why) (only the 3x4+1 report with a rhythm strip is supported)"
        case .traceNotFound(let why): "the trace could not be extracted: \(why)"
        case .implausibleTrace(let why): "the trace read is not plausible: \(why)"
        }
    }
}
