/// Depthwise 2-D convolution over an NHWC batch (one filter per channel, channel multiplier 1),
/// with bias and activation fused.
///
/// The inner loop runs over channels, which are contiguous in NHWC, so it vectorises; output rows
/// are split over threads.
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
    parallelChunks(g.batch * g.outputHeight, minimumChunk: 2) { outputRows in
        for outputRow in outputRows {
            let image = outputRow / g.outputHeight
            let oh = outputRow % g.outputHeight
            let out = output + outputRow * g.outputWidth * ldo
            for ow in 0..<g.outputWidth {
                let o = out + ow * ldo
                if let bias {
                    for c in 0..<channels { o[c] = bias[c] }
                } else {
                    o.update(repeating: 0, count: channels)
                }
            }
            for kh in 0..<g.kernelHeight {
                let ih = oh * g.strideHeight - g.padding.top + kh
                guard ih >= 0 && ih < g.inputHeight else { continue }
                let inputRow = input + ((image * g.inputHeight + ih) * g.inputWidth) * channels
                for kw in 0..<g.kernelWidth {
                    let w = weight + (kh * g.kernelWidth + kw) * channels
                    // Output columns whose input column `ow * stride - left + kw` is inside the image.
                    let first = max(0, (g.padding.left - kw + g.strideWidth - 1) / g.strideWidth)
                    let last = min(g.outputWidth, (g.inputWidth - 1 + g.padding.left - kw + g.strideWidth) / g.strideWidth)
                    guard first < last else { continue }
                    for ow in first..<last {
                        let i = inputRow + (ow * g.strideWidth - g.padding.left + kw) * channels
                        let o = out + ow * ldo
                        for c in 0..<channels { o[c] += i[c] * w[c] }
                    }
                }
            }
            biasActivationForward(
                values: out, rows: g.outputWidth, columns: channels, rowStride: ldo,
                bias: nil, activation: activation)
        }
    }
}
