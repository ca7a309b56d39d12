/// Depthwise 2-D convolution over an NHWC batch (one filter per channel, channel multiplier 1),
/// with bias and activation fused.
///
/// Each output pixel is summed in registers, 16 channels at a time (channels are contiguous in
/// NHWC, so the loads are vectors): bias, then the window's in-image taps row by row, then the
/// activation, and one store. The sum runs in the same order as the naive loop (bias, then taps
/// in window order, each a multiply then an add), so the floats are the same; only the output is
/// no longer read back from memory once per tap. Output rows are split over threads, and not
/// split at all when the layer is too small to pay for waking a second thread.
///
/// - Parameters:
///   - output: `N x OH x OW x outputPixelStride`; channels `0..<C` of each pixel are written.
///   - input: `N x H x W x C`, contiguous.
///   - weight: `KH x KW x C` (Keras's `[kh, kw, C, 1]` depthwise kernel has this memory layout).
///   - bias: `C` values or nil.
/// - Complexity: 2·N·OH·OW·C·KH·KW floating-point operations.
public func depthwiseConv2dForward(
    output: UnsafeMutablePointer<Float>, outputPixelStride: Int,
    input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    geometry g: ConvGeometry, activation: Activation
) {
    let channels = g.inputChannels
    precondition(g.groups == channels && g.outputChannels == channels, "not a depthwise geometry")
    let ldo = outputPixelStride
    let rows = g.batch * g.outputHeight
    let rowWork = g.outputWidth * channels * g.kernelHeight * g.kernelWidth
    parallelChunks(rows, minimumChunk: max(2, minimumParallelWork / max(1, rowWork))) { outputRows in
        depthwisePixels(outputRows.lowerBound * g.outputWidth..<outputRows.upperBound * g.outputWidth,
                        output: output + outputRows.lowerBound * g.outputWidth * ldo, outputPixelStride: ldo,
                        input: input, weight: weight, bias: bias, geometry: g, activation: activation)
    }
}

/// Output pixels `pixels` (indices into the `N x OH x OW` output) of a depthwise convolution, one
/// after another, written `outputPixelStride` floats apart from `output` (pixel `pixels.lowerBound`):
/// `depthwiseConv2dForward`'s arithmetic for any run of pixels, such as the band the fused
/// `depthwisePointwiseForward` keeps in cache.
/// - Complexity: O(pixels.count · C · KH · KW).
func depthwisePixels(
    _ pixels: Range<Int>, output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int,
    input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    geometry g: ConvGeometry, activation: Activation
) {
    let channels = g.inputChannels
    // The first pixel's place, then one step at a time: no division per pixel.
    var (image, oh, ow) = (pixels.lowerBound / (g.outputHeight * g.outputWidth),
                           pixels.lowerBound / g.outputWidth % g.outputHeight, pixels.lowerBound % g.outputWidth)
    var destination = output
    for _ in pixels {
        let top = oh * g.strideHeight - g.padding.top
        let kh0 = max(0, -top), kh1 = max(kh0, min(g.kernelHeight, g.inputHeight - top))
        let left = ow * g.strideWidth - g.padding.left
        let kw0 = max(0, -left), kw1 = max(kw0, min(g.kernelWidth, g.inputWidth - left))
        depthwisePixel(
            output: destination, input: input + image * g.inputHeight * g.inputWidth * channels, weight: weight,
            bias: bias, channels: channels, rowStride: g.inputWidth * channels, origin: (top, left), rows: kh0..<kh1,
            columns: kw0..<kw1, kernelWidth: g.kernelWidth, activation: activation)
        destination += ldo
        ow += 1
        if ow == g.outputWidth { (oh, ow) = (oh + 1, 0) }
        if oh == g.outputHeight { (image, oh) = (image + 1, 0) }
    }
}

/// One output pixel of a depthwise convolution, whose in-image window taps are `rows x columns`
/// of a window with top-left input pixel `origin`: `output[c] = activation(bias[c] + Σ input · weight)`.
@inline(__always)
private func depthwisePixel(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, channels: Int, rowStride: Int, origin: (top: Int, left: Int),
    rows: Range<Int>, columns: Range<Int>, kernelWidth: Int, activation: Activation
) {
    typealias Vector = SIMD16<Float>
    let width = Vector.scalarCount
    var c = 0
    while c + width <= channels {
        var sum = bias.map { Vector(UnsafeRawPointer($0 + c).loadUnaligned(as: Vector.self)) } ?? Vector()
        for kh in rows {
            let inputRow = input + (origin.top + kh) * rowStride + c
            for kw in columns {
                let x = UnsafeRawPointer(inputRow + (origin.left + kw) * channels).loadUnaligned(as: Vector.self)
                let w = UnsafeRawPointer(weight + (kh * kernelWidth + kw) * channels + c).loadUnaligned(as: Vector.self)
                sum = sum + x * w
            }
        }
        switch activation {
        case .identity: break
        case .relu: sum = sum.replacing(with: 0, where: sum .< 0)
        case .relu6: sum = sum.replacing(with: 0, where: sum .< 0).replacing(with: 6, where: sum .> 6)
        }
        UnsafeMutableRawPointer(output + c).storeBytes(of: sum, as: Vector.self)
        c += width
    }
    while c < channels {
        var sum = bias?[c] ?? 0
        for kh in rows {
            for kw in columns {
                sum = sum + input[(origin.top + kh) * rowStride + (origin.left + kw) * channels + c]
                    * weight[(kh * kernelWidth + kw) * channels + c]
            }
        }
        switch activation {
        case .identity: break
        case .relu: sum = max(sum, 0)
        case .relu6: sum = min(max(sum, 0), 6)
        }
        output[c] = sum
        c += 1
    }
}
