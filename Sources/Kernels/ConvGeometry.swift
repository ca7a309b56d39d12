/// Zero padding added around an image before a convolution or pooling window slides over it.
public struct Padding: Sendable, Equatable {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
    }

    /// The same padding on every side, as PyTorch's `padding=p`.
    public static func symmetric(_ p: Int) -> Padding { Padding(top: p, bottom: p, left: p, right: p) }
    /// PyTorch's `padding=(ph, pw)`.
    public static func symmetric(height: Int, width: Int) -> Padding {
        Padding(top: height, bottom: height, left: width, right: width)
    }
    /// No padding: Keras's `valid`.
    public static let none = Padding(top: 0, bottom: 0, left: 0, right: 0)

    /// Keras/TensorFlow `same` padding: the output has `ceil(input / stride)` positions and any
    /// odd total padding goes to the bottom/right.
    /// NOTE: PyTorch pads symmetrically; this is why Keras stride-2 layers differ from torch ones.
    public static func same(
        inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideHeight: Int, strideWidth: Int
    ) -> Padding {
        func split(_ input: Int, _ kernel: Int, _ stride: Int) -> (Int, Int) {
            let output = (input + stride - 1) / max(stride, 1)  // stride < 1 is rejected by the geometry
            let total = max((output - 1) * stride + kernel - input, 0)
            return (total / 2, total - total / 2)
        }
        let (top, bottom) = split(inputHeight, kernelHeight, strideHeight)
        let (left, right) = split(inputWidth, kernelWidth, strideWidth)
        return Padding(top: top, bottom: bottom, left: left, right: right)
    }
}

/// Shapes of one 2-D convolution over an NHWC batch.
///
/// The input is `batch x inputHeight x inputWidth x inputChannels`; the output is
/// `batch x outputHeight x outputWidth x outputChannels`; the weight is HWIO,
/// `kernelHeight x kernelWidth x (inputChannels / groups) x outputChannels`, Keras's layout.
public struct ConvGeometry: Sendable, Equatable {
    public let batch: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int
    public let outputChannels: Int, kernelHeight: Int, kernelWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let padding: Padding
    public let groups: Int
    public let outputHeight: Int, outputWidth: Int

    /// - Returns: nil when the kernel does not fit in the padded input, or the channels do not
    ///   divide into `groups`.
    public init?(
        batch: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int, outputChannels: Int,
        kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
        padding: Padding = .none, groups: Int = 1
    ) {
        let paddedHeight = inputHeight + padding.top + padding.bottom
        let paddedWidth = inputWidth + padding.left + padding.right
        guard groups > 0, inputChannels % groups == 0, outputChannels % groups == 0,
              kernelHeight > 0, kernelWidth > 0, strideHeight > 0, strideWidth > 0,
              paddedHeight >= kernelHeight, paddedWidth >= kernelWidth,
              min(padding.top, padding.bottom, padding.left, padding.right) >= 0
        else { return nil }
        self.batch = batch
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padding = padding
        self.groups = groups
        self.outputHeight = (paddedHeight - kernelHeight) / strideHeight + 1
        self.outputWidth = (paddedWidth - kernelWidth) / strideWidth + 1
    }

    /// Rows of the implicit im2col matrix: one per output pixel.
    public var outputPixels: Int { batch * outputHeight * outputWidth }
    /// Columns of the im2col matrix for one group: `kernelHeight · kernelWidth · inputChannels / groups`.
    public var patchSize: Int { kernelHeight * kernelWidth * (inputChannels / groups) }
    /// True when the input itself is the im2col matrix (a 1x1, stride-1, unpadded convolution).
    public var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
            && padding == .none && groups == 1
    }
}

extension ConvGeometry {
    /// This layer restricted to output rows `rows` of one image, as a layer of its own, for the
    /// fused kernels that compute an L2-sized band at a time: the input rows its windows reach, and
    /// a batch-1 geometry over just those rows, padded so that its output rows are `rows` and each
    /// output pixel has the same in-image taps as in the whole layer (so the same floats).
    /// - Parameters:
    ///   - rightPadding: the band's right padding, to cut output columns no one needs; the layer's
    ///     when nil.
    func band(outputRows rows: Range<Int>, rightPadding: Int? = nil) -> (inputRows: Range<Int>, geometry: ConvGeometry) {
        let top = rows.lowerBound * strideHeight - padding.top
        let inputRows = max(0, top)..<min(inputHeight, (rows.upperBound - 1) * strideHeight - padding.top + kernelHeight)
        let padTop = inputRows.lowerBound - top
        let padBottom = max(0, (rows.count - 1) * strideHeight + kernelHeight - padTop - inputRows.count)
        let band = ConvGeometry(
            batch: 1, inputHeight: inputRows.count, inputWidth: inputWidth, inputChannels: inputChannels,
            outputChannels: outputChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            strideHeight: strideHeight, strideWidth: strideWidth,
            padding: Padding(top: padTop, bottom: padBottom, left: padding.left, right: rightPadding ?? padding.right),
            groups: groups)!
        precondition(band.outputHeight == rows.count, "band geometry")
        return (inputRows, band)
    }
}

/// How a fused kernel cuts each image's output rows into bands (`evenBands`): `perImage` bands an
/// image, of `rows / perImage` rows rounded down or up (the longer ones spread between the shorter
/// ones), so that threads that take equally many bands also take as many rows, give or take one
/// a band.
struct Bands {
    /// The output rows of each image, and the images.
    let rows: Int, images: Int
    /// Bands an image; bands are numbered image by image, `0 ..< count`.
    let perImage: Int
    /// The rows of the longest band: what a band's scratch must hold.
    var maxRows: Int { (rows + perImage - 1) / perImage }
    /// Bands over all images.
    var count: Int { images * perImage }

    /// The image band `index` lies in and its output rows.
    func band(_ index: Int) -> (image: Int, rows: Range<Int>) {
        let i = index % perImage
        return (index / perImage, i * rows / perImage ..< (i + 1) * rows / perImage)
    }
}

/// How a fused kernel cuts each image's `rows` output rows into bands: at most `maxRows` rows a
/// band (at least one), in a number of bands over the `images` that `kernelThreadCount` threads
/// share evenly where the rows allow. (Bands of equal rows but the last, as before, could not: 35
/// rows in bands of at most 5 rows for 2 threads were 7 bands of 5, 20 rows on one thread and 15
/// on the other; now they are 8 bands of 4 or 5 rows, 17 and 18 rows a thread.)
func evenBands(rows: Int, images: Int, maxRows: Int) -> Bands {
    let threads = kernelThreadCount
    var bandsPerImage = (rows + max(1, maxRows) - 1) / max(1, maxRows)
    while (images * bandsPerImage) % threads != 0 && bandsPerImage < rows { bandsPerImage += 1 }
    return Bands(rows: rows, images: images, perImage: bandsPerImage)
}
