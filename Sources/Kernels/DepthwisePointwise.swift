/// A depthwise convolution, then a pointwise (1x1) one, then an optional residual, as one kernel:
/// `output = pointwiseActivation(pointwise(depthwiseActivation(depthwise(input)))) + residual`.
/// The tail of MobileNetV2's inverted residual block (depthwise 3x3 + ReLU6, linear projection,
/// the block's input added back), for inference.
///
/// Run as two layers, the depthwise output (MobileNetV2's widest activations: up to 96-960
/// channels a pixel) is written whole to memory and read back by the projection, each layer is a
/// separate trip through the worker threads, and the residual sum a third pass with a tensor of
/// its own. Here the output pixels go in bands of whole 12-pixel panels: each band's depthwise
/// output is computed into a buffer of at most 256 KiB that stays in cache, and at once multiplied by
/// the pointwise weight (`convolveBlock`: direct tiles, reading the buffer in place) into the
/// band's output, where the residual is added while it is still in cache. The bands are split over
/// threads once. Bands start on the same 12-pixel panels as the separate layers' GEMM, and each
/// step runs the same arithmetic, so the result is the same floats as `depthwiseConv2dForward`,
/// then `conv2dForward`, then `addForward`.
///
/// - Parameters:
///   - output: `N x OH x OW x OC`, contiguous.
///   - input: `N x H x W x C`, contiguous.
///   - depthwiseWeight: `KH x KW x C`; `depthwiseBias`: `C` values or nil.
///   - depthwise: the depthwise geometry (`groups == C == outputChannels`).
///   - pointwiseWeight: the packed `C x OC` pointwise weight; `pointwiseBias`: `OC` values or nil.
///   - residual: `N x OH x OW x OC` added after `pointwiseActivation`, or nil.
/// - Complexity: 2·N·OH·OW·C·(KH·KW + OC) floating-point operations.
public func depthwisePointwiseForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
    depthwiseWeight: UnsafePointer<Float>, depthwiseBias: UnsafePointer<Float>?, depthwise g: ConvGeometry,
    depthwiseActivation: Activation,
    pointwiseWeight b: PackedMatrix, pointwiseBias: UnsafePointer<Float>?, pointwiseActivation: Activation,
    residual: UnsafePointer<Float>?
) {
    let channels = g.inputChannels
    precondition(g.groups == channels && g.outputChannels == channels, "not a depthwise geometry")
    precondition(b.rows == channels, "the pointwise weight does not take the depthwise output's channels")
    let outputChannels = b.columns
    let pixels = g.outputPixels
    let panels = (pixels + microTileRows - 1) / microTileRows
    // At most `bandFloats` of depthwise output a band (but at least one panel), and a number of
    // bands that the threads share evenly: the last band may hold only the last, partial panel.
    let threads = kernelThreadCount
    let maxPanels = max(1, bandFloats / (microTileRows * channels))
    let cacheBands = (panels + maxPanels - 1) / maxPanels
    let evenBands = (max(cacheBands, threads) + threads - 1) / threads * threads
    let bandPanels = max(1, (pixels / microTileRows + evenBands - 1) / evenBands)
    let bands = (panels + bandPanels - 1) / bandPanels
    let bandWork = bandPanels * microTileRows * channels * (g.kernelHeight * g.kernelWidth + outputChannels)
    parallelChunks(bands, minimumChunk: max(1, minimumParallelWork / max(1, bandWork))) { chunk in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: bandPanels * microTileRows * channels) { buffer in
            let band = buffer.baseAddress!
            for index in chunk {
                let first = index * bandPanels * microTileRows
                let count = min(pixels, first + bandPanels * microTileRows) - first
                depthwisePixels(first..<first + count, output: band, outputPixelStride: channels, input: input,
                                weight: depthwiseWeight, bias: depthwiseBias, geometry: g, activation: depthwiseActivation)
                // The band as a 1 x count image: its pointwise convolution is the layer's, for these pixels.
                let pointwise = ConvGeometry(batch: 1, inputHeight: 1, inputWidth: count, inputChannels: channels,
                                             outputChannels: outputChannels, kernelHeight: 1, kernelWidth: 1)!
                let target = output + first * outputChannels
                convolveBlock(
                    output: target, outputPixelStride: outputChannels, input: band, weight: b, bias: pointwiseBias,
                    geometry: pointwise, group: 0, rowPanels: 0..<(count + microTileRows - 1) / microTileRows,
                    columnPanels: 0..<b.panels, activation: pointwiseActivation)
                if let residual {
                    let source = residual + first * outputChannels
                    for i in 0..<count * outputChannels { target[i] = target[i] + source[i] }
                }
            }
        }
    }
}

/// Floats of depthwise output `depthwisePointwiseForward` keeps per band: 256 KiB, well inside L2.
private let bandFloats = 1 << 16
