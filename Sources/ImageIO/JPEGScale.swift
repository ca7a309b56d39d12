import CTurboJPEG

/// A libjpeg-turbo DCT scaling factor: a JPEG decoded at `numerator / denominator` of its size
/// by computing smaller inverse DCTs, instead of decoding every pixel and resizing afterwards.
///
/// A page uploaded at 2213 x 1572 for a model that reads 224 x 224 pixels needs far fewer pixels
/// than it carries; decoding at 1/2 or 3/8 costs a fraction of a full decode and leaves the
/// resize less to filter. ``InputSpec/decodeRatio`` says when a model may be fed this way.
public struct JPEGScale: Hashable, Sendable, CustomStringConvertible {
    public let numerator: Int
    public let denominator: Int

    public init(numerator: Int, denominator: Int) {
        precondition(numerator > 0 && denominator > 0, "a scale is a positive fraction")
        (self.numerator, self.denominator) = (numerator, denominator)
    }

    /// Decoding at full size.
    public static let full = JPEGScale(numerator: 1, denominator: 1)

    /// The reductions libjpeg-turbo offers (`tjGetScalingFactors`: 1/8, 1/4, 3/8 … 7/8 in
    /// TurboJPEG 2.1), smallest first; enlargements are left out.
    public static let reductions: [JPEGScale] = {
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return [] }
        return (0..<Int(count)).map { JPEGScale(numerator: Int(factors[$0].num), denominator: Int(factors[$0].denom)) }
            .filter { $0.numerator < $0.denominator }
            .sorted { $0.numerator * $1.denominator < $1.numerator * $0.denominator }
    }()

    /// `side` at this scale, rounded up as libjpeg-turbo rounds it (`TJSCALED`).
    public func scaled(_ side: Int) -> Int { (side * numerator + denominator - 1) / denominator }

    /// The smallest scale at which a `width` x `height` JPEG still has at least `minimumSide`
    /// pixels on its shorter side; ``full`` when no reduction keeps that many.
    public static func smallest(width: Int, height: Int, minimumSide: Int) -> JPEGScale {
        reductions.first { min($0.scaled(width), $0.scaled(height)) >= minimumSide } ?? .full
    }

    /// `3/8`.
    public var description: String { "\(numerator)/\(denominator)" }
}
