/// Shapes of one pooling window sliding over an NHWC batch, with PyTorch's `ceil_mode`.
public struct PoolGeometry: Sendable, Equatable {
    public let batch: Int, inputHeight: Int, inputWidth: Int, channels: Int
    public let kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int
    public let padding: Padding
    public let outputHeight: Int, outputWidth: Int

    /// - Parameters:
    ///   - ceilMode: PyTorch's `ceil_mode`: round the output size up, but never start a window
    ///     in the bottom/right padding.
    /// - Returns: nil when the window does not fit, or PyTorch's rule that padding be at most
    ///   half the kernel is broken.
    public init?(
        batch: Int, inputHeight: Int, inputWidth: Int, channels: Int,
        kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
        padding: Padding = .none, ceilMode: Bool = false
    ) {
        func outputSize(_ input: Int, _ before: Int, _ after: Int, _ kernel: Int, _ stride: Int) -> Int? {
            let span = input + before + after - kernel
            guard span >= 0, kernel > 0, stride > 0 else { return nil }
            var size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
            if ceilMode && (size - 1) * stride >= input + before { size -= 1 }
            return size
        }
        guard let oh = outputSize(inputHeight, padding.top, padding.bottom, kernelHeight, strideHeight),
              let ow = outputSize(inputWidth, padding.left, padding.right, kernelWidth, strideWidth),
              max(padding.top, padding.bottom) * 2 <= kernelHeight,
              max(padding.left, padding.right) * 2 <= kernelWidth
        else { return nil }
        self.batch = batch
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.channels = channels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padding = padding
        self.outputHeight = oh
        self.outputWidth = ow
    }
}

/// Max pooling over an NHWC batch; padding never wins (it counts as minus infinity).
/// - Parameters:
///   - output: `N x OH x OW x outputPixelStride`; channels `0..<C` of each pixel are written.
///   - input: `N x H x W x C`.
/// - Complexity: O(N·OH·OW·C·KH·KW).
public func maxPool2dForward(
    output: UnsafeMutablePointer<Float>, outputPixelStride: Int,
    input: UnsafePointer<Float>, geometry g: PoolGeometry
) {
    let c = g.channels
    parallelChunks(g.batch * g.outputHeight, minimumChunk: 4) { rows in
        for row in rows {
            let image = input + row / g.outputHeight * g.inputHeight * g.inputWidth * c
            let h0 = row % g.outputHeight * g.strideHeight - g.padding.top
            let heights = max(h0, 0)..<min(h0 + g.kernelHeight, g.inputHeight)
            for ow in 0..<g.outputWidth {
                let w0 = ow * g.strideWidth - g.padding.left
                maxPoolPixel(output: output + (row * g.outputWidth + ow) * outputPixelStride, input: image, rows: heights,
                             columns: max(w0, 0)..<min(w0 + g.kernelWidth, g.inputWidth), rowStride: g.inputWidth * c,
                             channels: c)
            }
        }
    }
}

/// One output pixel of max pooling: the maximum over input pixels `rows x columns` (those of the
/// window inside the image) of the image at `input`, or minus infinity for none. Sixteen channels
/// at a time in a vector register, then one at a time, over the pixels in window order with
/// `Swift.max`'s comparison (`x >= m ? x : m`), so every channel gets the same float whichever way
/// it goes. (A loop of scalar maxima through a closure per pixel took a fifth of small_cnn's
/// batch-1 time.) `conv2dMaxPoolForward` pools its bands with it too.
/// - Complexity: O(rows.count · columns.count · channels).
@inline(__always)
func maxPoolPixel(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>,
    rowStride: Int, channels: Int
) {
    typealias Vector = SIMD16<Float>
    var j = 0
    while j + Vector.scalarCount <= channels {
        var m = Vector(repeating: -.infinity)
        for ih in rows {
            for iw in columns {
                let x = UnsafeRawPointer(input + ih * rowStride + iw * channels + j).loadUnaligned(as: Vector.self)
                m = m.replacing(with: x, where: x .>= m)
            }
        }
        UnsafeMutableRawPointer(output + j).storeBytes(of: m, as: Vector.self)
        j += Vector.scalarCount
    }
    while j < channels {
        var m = -Float.infinity
        for ih in rows {
            for iw in columns { m = max(m, input[ih * rowStride + iw * channels + j]) }
        }
        output[j] = m
        j += 1
    }
}

/// Average pooling over an NHWC batch, with PyTorch's `count_include_pad`.
/// - Parameters:
///   - countIncludePad: divide by the window's size clipped to the padded input (PyTorch's
///     default) rather than by the number of real pixels under it (Keras's `same` pooling).
/// - Complexity: O(N·OH·OW·C·KH·KW).
public func avgPool2dForward(
    output: UnsafeMutablePointer<Float>, outputPixelStride: Int,
    input: UnsafePointer<Float>, geometry g: PoolGeometry, countIncludePad: Bool
) {
    poolForward(output: output, outputPixelStride: outputPixelStride, input: input, geometry: g) {
        out, window, count, c, paddedCount in
        let scale = 1 / Float(countIncludePad ? paddedCount : count)
        // 64 channels at a time, summed in registers over the window (eight AVX2 registers in
        // flight), then the rest one at a time: the same order of additions for every channel.
        typealias Vector = SIMD16<Float>
        func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        var j = 0
        while j + 4 * Vector.scalarCount <= c {
            var (s0, s1, s2, s3) = (Vector(), Vector(), Vector(), Vector())
            for k in 0..<count {
                let source = window[k] + j
                s0 += load(source)
                s1 += load(source + 16)
                s2 += load(source + 32)
                s3 += load(source + 48)
            }
            let destination = UnsafeMutableRawPointer(out + j)
            destination.storeBytes(of: s0 * scale, as: Vector.self)
            destination.storeBytes(of: s1 * scale, toByteOffset: 64, as: Vector.self)
            destination.storeBytes(of: s2 * scale, toByteOffset: 128, as: Vector.self)
            destination.storeBytes(of: s3 * scale, toByteOffset: 192, as: Vector.self)
            j += 4 * Vector.scalarCount
        }
        (out + j).update(repeating: 0, count: c - j)
        for k in 0..<count {
            let source = window[k]
            for i in j..<c { out[i] += source[i] }
        }
        for i in j..<c { out[i] *= scale }
    }
}

/// Visits every output pixel with the input pixels under its window.
/// `reduce(out, window, count, channels, paddedCount)` writes one output pixel from `count`
/// input pixel pointers; `paddedCount` is the window clipped to the padded input (PyTorch).
private func poolForward(
    output: UnsafeMutablePointer<Float>, outputPixelStride: Int,
    input: UnsafePointer<Float>, geometry g: PoolGeometry,
    _ reduce: (UnsafeMutablePointer<Float>, UnsafePointer<UnsafePointer<Float>>, Int, Int, Int) -> Void
) {
    let c = g.channels
    parallelChunks(g.batch * g.outputHeight, minimumChunk: 4) { rows in
        let window = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: g.kernelHeight * g.kernelWidth)
        defer { window.deallocate() }
        for row in rows {
            let image = row / g.outputHeight
            let oh = row % g.outputHeight
            let h0 = oh * g.strideHeight - g.padding.top
            let hEnd = min(h0 + g.kernelHeight, g.inputHeight + g.padding.bottom)
            for ow in 0..<g.outputWidth {
                let w0 = ow * g.strideWidth - g.padding.left
                let wEnd = min(w0 + g.kernelWidth, g.inputWidth + g.padding.right)
                let paddedCount = (hEnd - h0) * (wEnd - w0)
                var count = 0
                for ih in max(h0, 0)..<min(hEnd, g.inputHeight) {
                    for iw in max(w0, 0)..<min(wEnd, g.inputWidth) {
                        window[count] = input + ((image * g.inputHeight + ih) * g.inputWidth + iw) * c
                        count += 1
                    }
                }
                reduce(output + ((row * g.outputWidth) + ow) * outputPixelStride, window, count, c, paddedCount)
            }
        }
    }
}

/// PyTorch's `AdaptiveAvgPool2d`: output cell `(i, j)` averages input rows
/// `floor(i·H/OH) ..< ceil((i+1)·H/OH)` and the same for columns. `(1, 1)` is global pooling.
/// - Parameters:
///   - output: `N x OH x OW x C`.
///   - input: `N x H x W x C`.
/// - Complexity: O(N·H·W·C) when the windows do not overlap.
public func adaptiveAvgPool2dForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
    batch: Int, inputHeight: Int, inputWidth: Int, channels: Int, outputHeight: Int, outputWidth: Int
) {
    parallelChunks(batch * outputHeight, minimumChunk: 1) { rows in
        for row in rows {
            let image = row / outputHeight
            let i = row % outputHeight
            let h0 = i * inputHeight / outputHeight
            let h1 = ((i + 1) * inputHeight + outputHeight - 1) / outputHeight
            for j in 0..<outputWidth {
                let w0 = j * inputWidth / outputWidth
                let w1 = ((j + 1) * inputWidth + outputWidth - 1) / outputWidth
                let out = output + (row * outputWidth + j) * channels
                out.update(repeating: 0, count: channels)
                for ih in h0..<h1 {
                    for iw in w0..<w1 {
                        let source = input + ((image * inputHeight + ih) * inputWidth + iw) * channels
                        for c in 0..<channels { out[c] += source[c] }
                    }
                }
                let scale = 1 / Float((h1 - h0) * (w1 - w0))
                for c in 0..<channels { out[c] *= scale }
            }
        }
    }
}
