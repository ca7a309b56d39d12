/// Depthwise 2-D convolution over an NHWC batch (one filter per channel, channel multiplier 1),
/// with bias and activation fused.
///
/// Each output pixel is summed in registers, 16 channels at a time (channels are contiguous in
/// NHWC, so the loads are vectors): bias, then the window's in-image taps row by row, then the
/// activation, and one store. The sum runs in the same order as the naive loop (bias, then taps
/// in window order, each a multiply then an add), so the floats are the same; only the output is
/// no longer read back from memory once per tap. Four neighbouring pixels whose windows lie inside
/// the image horizontally are summed together (`depthwiseQuad`), each weight vector loaded once for
/// the four; with the avx512 kernel set, by its C kernel in zmm registers (`Tiles.depthwise4`), 32
/// channels at a time, where this Swift loop, compiled for AVX2, splits each vector in two. Output
/// pixels are split over threads, each thread at least a quarter of `minimumParallelWork`. Split by
/// whole rows with all of it, MobileNetV2's 7 x 7 layers at batch 1 ran on one thread (the other
/// spinning) and its 7-row ones 4 rows to 3; split so, its spinning fell from 11.6 to 9.9 % of the
/// samples and its batch-1 time 1.80 to 1.77 ms (medians of six alternating runs; two threads, Zen 5 VM).
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
    let pixels = g.batch * g.outputHeight * g.outputWidth
    let pixelWork = channels * g.kernelHeight * g.kernelWidth
    parallelChunks(pixels, minimumChunk: max(4, (minimumParallelWork / 4) / max(1, pixelWork))) { range in
        depthwisePixels(range, output: output + range.lowerBound * ldo, outputPixelStride: ldo,
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
    let rowStride = g.inputWidth * channels
    // Four pixels at once where their windows lie wholly inside the image horizontally.
    let quads = channels % DepthwiseVector.scalarCount == 0
    // The first pixel's place, then one step at a time: no division per pixel.
    var (image, oh, ow) = (pixels.lowerBound / (g.outputHeight * g.outputWidth),
                           pixels.lowerBound / g.outputWidth % g.outputHeight, pixels.lowerBound % g.outputWidth)
    var destination = output
    var pixel = pixels.lowerBound
    let tiles = activeTiles
    while pixel < pixels.upperBound {
        let top = oh * g.strideHeight - g.padding.top
        let kh0 = max(0, -top), kh1 = max(kh0, min(g.kernelHeight, g.inputHeight - top))
        let left = ow * g.strideWidth - g.padding.left
        let imageInput = input + image * g.inputHeight * rowStride
        var step = 1
        if quads && pixel + 4 <= pixels.upperBound && ow + 4 <= g.outputWidth && left >= 0
            && left + 3 * g.strideWidth + g.kernelWidth <= g.inputWidth {
            let window = imageInput + (top * g.inputWidth + left) * channels
            if let quad = tiles.depthwise4 {
                quad(window, Int64(g.strideWidth * channels), Int64(rowStride), Int64(kh0), Int64(kh1), Int64(g.kernelWidth),
                     weight, bias, Int64(channels), destination, Int64(ldo), activation.tileCode)
            } else if g.strideWidth == 1 && g.kernelWidth == 3 {
                depthwiseQuad3(output: destination, outputPixelStride: ldo, input: window, weight: weight, bias: bias,
                               channels: channels, rowStride: rowStride, rows: kh0..<kh1, activation: activation)
            } else {
                depthwiseQuad(
                    output: destination, outputPixelStride: ldo, input: window,
                    pixelStride: g.strideWidth * channels, weight: weight, bias: bias, channels: channels,
                    rowStride: rowStride, rows: kh0..<kh1, kernelWidth: g.kernelWidth, activation: activation)
            }
            step = 4
        } else {
            let kw0 = max(0, -left), kw1 = max(kw0, min(g.kernelWidth, g.inputWidth - left))
            depthwisePixel(
                output: destination, input: imageInput, weight: weight, bias: bias, channels: channels,
                rowStride: rowStride, origin: (top, left), rows: kh0..<kh1, columns: kw0..<kw1,
                kernelWidth: g.kernelWidth, activation: activation)
        }
        pixel += step
        destination += step * ldo
        ow += step
        if ow == g.outputWidth { (oh, ow) = (oh + 1, 0) }
        if oh == g.outputHeight { (image, oh) = (image + 1, 0) }
    }
}

/// The vector `depthwisePixel` and `depthwiseQuad` sum channels in.
private typealias DepthwiseVector = SIMD16<Float>

/// `activation` on a vector of sums, as the scalar tail applies it. `@_transparent`: as
/// `@inline(__always)`, `depthwisePixel` called it for each vector it stored, the vector passed in
/// four xmm registers (as `WinogradOutput.put` was).
@_transparent
private func activated(_ sum: DepthwiseVector, _ activation: Activation) -> DepthwiseVector {
    switch activation {
    case .identity: sum
    case .relu: sum.replacing(with: 0, where: sum .< 0)
    case .relu6: sum.replacing(with: 0, where: sum .< 0).replacing(with: 6, where: sum .> 6)
    }
}

/// Stores four pixels' sums, activated, `outputPixelStride` floats apart from `output`.
/// `@_transparent`, as `activated`: as a local function, each store was a call (the AVX2 build
/// passed the vector in four xmm registers), four per 16 channels of a quad.
@_transparent
private func storeQuad(
    _ sums: (DepthwiseVector, DepthwiseVector, DepthwiseVector, DepthwiseVector), output: UnsafeMutablePointer<Float>,
    outputPixelStride ldo: Int, activation: Activation
) {
    UnsafeMutableRawPointer(output).storeBytes(of: activated(sums.0, activation), as: DepthwiseVector.self)
    UnsafeMutableRawPointer(output + ldo).storeBytes(of: activated(sums.1, activation), as: DepthwiseVector.self)
    UnsafeMutableRawPointer(output + 2 * ldo).storeBytes(of: activated(sums.2, activation), as: DepthwiseVector.self)
    UnsafeMutableRawPointer(output + 3 * ldo).storeBytes(of: activated(sums.3, activation), as: DepthwiseVector.self)
}

/// Four consecutive output pixels of one output row whose windows lie inside the image
/// horizontally, `pixelStride` input floats apart, with their window's top-left value at `input`
/// (whose in-image window rows are `rows`): `depthwisePixel`'s arithmetic, in the same order per
/// pixel, with each weight vector loaded once for the four. One pixel at a time, each vector sum
/// waits on the previous tap's add; here eight independent sums are in flight (MobileNetV2's
/// depthwise share of the samples went from 32 % to 24 %). `channels` must be a multiple of 16.
@inline(__always)
private func depthwiseQuad(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>, pixelStride: Int,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, channels: Int, rowStride: Int,
    rows: Range<Int>, kernelWidth: Int, activation: Activation
) {
    typealias Vector = DepthwiseVector
    func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
    for c in stride(from: 0, to: channels, by: Vector.scalarCount) {
        let start = bias.map { load($0 + c) } ?? Vector()
        var (s0, s1, s2, s3) = (start, start, start, start)
        for kh in rows {
            let inputRow = input + kh * rowStride + c
            let weightRow = weight + kh * kernelWidth * channels + c
            for kw in 0..<kernelWidth {
                let w = load(weightRow + kw * channels)
                let x = inputRow + kw * channels
                s0 = s0 + load(x) * w
                s1 = s1 + load(x + pixelStride) * w
                s2 = s2 + load(x + 2 * pixelStride) * w
                s3 = s3 + load(x + 3 * pixelStride) * w
            }
        }
        storeQuad((s0, s1, s2, s3), output: output + c, outputPixelStride: ldo, activation: activation)
    }
}

/// `depthwiseQuad` for windows 3 taps wide at stride 1 (MobileNetV2's): the four pixels' windows
/// span six input pixels a row, each loaded once for the pixels whose windows hold it, where
/// `depthwiseQuad` loads twelve. The same sums in the same order per pixel, so the same floats.
/// With the avx2 set (the avx512 one runs `ecg_depthwise4_avx512`) on the 2-core Zen 2 VM,
/// MobileNetV2 took 3.5% less time at batch 1 and 8. (In `SIMD8`, whose registers would all fit in
/// AVX2's 16, `activated` compiled to a scalar loop per lane, and the model took 4x as long; as a
/// branch inside `depthwiseQuad`, sharing its loop, 4-7 % slower than as a function of its own.)
@inline(__always)
private func depthwiseQuad3(
    output: UnsafeMutablePointer<Float>, outputPixelStride ldo: Int, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, channels: Int, rowStride: Int, rows: Range<Int>,
    activation: Activation
) {
    typealias Vector = DepthwiseVector
    func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
    for c in stride(from: 0, to: channels, by: Vector.scalarCount) {
        let start = bias.map { load($0 + c) } ?? Vector()
        var (s0, s1, s2, s3) = (start, start, start, start)
        for kh in rows {
            let x = input + kh * rowStride + c
            let w = weight + kh * 3 * channels + c
            let (w0, w1, w2) = (load(w), load(w + channels), load(w + 2 * channels))
            let (x0, x1, x2) = (load(x), load(x + channels), load(x + 2 * channels))
            let (x3, x4, x5) = (load(x + 3 * channels), load(x + 4 * channels), load(x + 5 * channels))
            s0 = s0 + x0 * w0
            s1 = s1 + x1 * w0
            s2 = s2 + x2 * w0
            s3 = s3 + x3 * w0
            s0 = s0 + x1 * w1
            s1 = s1 + x2 * w1
            s2 = s2 + x3 * w1
            s3 = s3 + x4 * w1
            s0 = s0 + x2 * w2
            s1 = s1 + x3 * w2
            s2 = s2 + x4 * w2
            s3 = s3 + x5 * w2
        }
        storeQuad((s0, s1, s2, s3), output: output + c, outputPixelStride: ldo, activation: activation)
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
    typealias Vector = DepthwiseVector
    let width = Vector.scalarCount
    func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
    var c = 0
    // Four channel vectors at a time, each summed in the order below: four independent sums in
    // flight rather than one chain of adds, as in `depthwiseQuad`. MobileNetV2's 7 x 7 and 14 x 14
    // layers have 2 or 3 such pixels a row, 384-960 channels each: their share of MobileNetV2's
    // batch-1 samples went from 5.7 % to 3.9 % (`perf record`, two threads, Zen 5 VM).
    while c + 4 * width <= channels {
        var sums = (Vector(), Vector(), Vector(), Vector())
        if let bias { sums = (load(bias + c), load(bias + c + width), load(bias + c + 2 * width), load(bias + c + 3 * width)) }
        for kh in rows {
            let inputRow = input + (origin.top + kh) * rowStride + c
            for kw in columns {
                let x = inputRow + (origin.left + kw) * channels
                let w = weight + (kh * kernelWidth + kw) * channels + c
                sums.0 = sums.0 + load(x) * load(w)
                sums.1 = sums.1 + load(x + width) * load(w + width)
                sums.2 = sums.2 + load(x + 2 * width) * load(w + 2 * width)
                sums.3 = sums.3 + load(x + 3 * width) * load(w + 3 * width)
            }
        }
        UnsafeMutableRawPointer(output + c).storeBytes(of: activated(sums.0, activation), as: Vector.self)
        UnsafeMutableRawPointer(output + c + width).storeBytes(of: activated(sums.1, activation), as: Vector.self)
        UnsafeMutableRawPointer(output + c + 2 * width).storeBytes(of: activated(sums.2, activation), as: Vector.self)
        UnsafeMutableRawPointer(output + c + 3 * width).storeBytes(of: activated(sums.3, activation), as: Vector.self)
        c += 4 * width
    }
    while c + width <= channels {
        var sum = bias.map { load($0 + c) } ?? Vector()
        for kh in rows {
            let inputRow = input + (origin.top + kh) * rowStride + c
            for kw in columns {
                let x = UnsafeRawPointer(inputRow + (origin.left + kw) * channels).loadUnaligned(as: Vector.self)
                let w = UnsafeRawPointer(weight + (kh * kernelWidth + kw) * channels + c).loadUnaligned(as: Vector.self)
                sum = sum + x * w
            }
        }
        UnsafeMutableRawPointer(output + c).storeBytes(of: activated(sum, activation), as: Vector.self)
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
