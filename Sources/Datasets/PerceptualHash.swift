import ImageIO

/// A difference hash (dHash) of the ink on a page: how dark each pixel is below a grey level of
/// 160 (so white paper and the pink grid count as no ink, traces and text as ink), averaged into
/// `side` rows of `side + 1` cells, one bit per pair of neighbouring cells (has the right one more
/// ink?). Re-encoding, small brightness changes or a few changed pixels flip few bits; a
/// different page flips many.
///
/// See: N. Krawetz, "Kind of Like That" (2013), hackerfactor.com.
/// NOTE: ECG report pages share their layout, so the usual 8 x 8 dHash of grey levels gives distinct
/// pages of the shared data set identical hashes, and the near-uniform grid makes grey-level bits
/// flip under JPEG noise. Hashing ink at 32 x 32 (1024 bits) separates them: measured on the shared
/// data set, re-encoding as JPEG quality 50 flips at most 9 bits and a 10 % brightness change 9,
/// while the closest two distinct pages differ in 40. Shifted or rescaled copies flip 30 to 100 bits,
/// so they are not reliably caught.
public struct PerceptualHash: Hashable, Sendable, CustomStringConvertible {
    /// The bits, 64 to a word, row by row.
    public let words: [UInt64]

    /// The hash side used by the data tools: 32 x 32 = 1024 bits.
    public static let defaultSide = 32

    /// Hashes `image` into `side * side` bits; `side * side` must be a multiple of 64.
    public init(_ image: RGBImage, side: Int = defaultSide) {
        precondition(side > 0 && side * side % 64 == 0, "the hash needs a multiple of 64 bits")
        let cells = Self.inkCells(image, columns: side + 1, rows: side)
        var words = [UInt64](repeating: 0, count: side * side / 64)
        for row in 0..<side {
            for column in 0..<side where cells[row * (side + 1) + column + 1] > cells[row * (side + 1) + column] {
                let bit = row * side + column
                words[bit / 64] |= 1 << UInt64(bit % 64)
            }
        }
        self.words = words
    }

    /// Parses the hex digits `description` writes.
    public init?(hex: String) {
        guard hex.count % 16 == 0, !hex.isEmpty else { return nil }
        var words: [UInt64] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 16)
            guard let word = UInt64(hex[index..<next], radix: 16) else { return nil }
            words.append(word)
            index = next
        }
        self.words = words
    }

    /// The number of bits, `side * side`.
    public var bitCount: Int { words.count * 64 }

    /// The number of differing bits (Hamming distance); hashes must have the same size.
    public func distance(to other: PerceptualHash) -> Int {
        precondition(words.count == other.words.count, "hashes of different sizes")
        var total = 0
        for index in words.indices { total += (words[index] ^ other.words[index]).nonzeroBitCount }
        return total
    }

    /// 16 hex digits per word.
    public var description: String {
        words.map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// The mean ink, `max(0, 160 - luma)` with ITU-R BT.601 luma, of each cell of a `columns` x
    /// `rows` grid laid over the image.
    private static func inkCells(_ image: RGBImage, columns: Int, rows: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: columns * rows)
        var counts = [Int](repeating: 0, count: columns * rows)
        let columnOf = (0..<image.width).map { $0 * columns / image.width }
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<image.height {
                let rowBase = (y * rows / image.height) * columns
                var offset = y * image.width * 3
                for x in 0..<image.width {
                    let luma = 299 * Int(pixels[offset]) + 587 * Int(pixels[offset + 1]) + 114 * Int(pixels[offset + 2])
                    sums[rowBase + columnOf[x]] += Double(max(0, 160_000 - luma))
                    counts[rowBase + columnOf[x]] += 1
                    offset += 3
                }
            }
        }
        return zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : 0 }
    }
}
