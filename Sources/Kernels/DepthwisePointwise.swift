/// MobileNetV2's inverted residual block as one kernel, for inference: an optional expansion (the
/// block's pointwise 1x1 layer, or the network's stem for block 0, which has none), a depthwise
/// convolution, a pointwise projection, then an optional residual:
/// `output = project(depthwise(expand(input))) + residual`, each step with its bias and activation.
///
/// Run as separate layers, the expanded activation (96-960 channels a pixel, MobileNetV2's widest)
/// is written whole to memory by the expansion, read back by the depthwise layer, written again and
/// read back by the projection; each layer is a trip through the worker threads, and the residual
/// sum a further pass with a tensor of its own. Here the output goes in bands of whole output rows
/// of one image. For each band, the input rows its depthwise windows reach are expanded into a
/// buffer that stays in L2 (rows the previous band of the same thread already expanded are kept,
/// so only a thread's first band recomputes the rows it shares with another thread's), the
/// band's depthwise output is computed into a second such buffer, and at once multiplied by the
/// projection (`convolveBlock`: direct tiles, reading the buffer in place) into the band's output,
/// where the residual is added while it is still in cache. The bands are split over threads once
/// per block.
///
/// Every step runs the arithmetic of the separate layer (`conv2dForward`, whose micro-tiles sum each
/// output value over its input channels in the same order wherever its 12-pixel panel starts, then
/// `depthwiseConv2dForward`, `conv2dForward` and `addForward`), so the result is the same floats.
///
/// - Parameters:
///   - output: `N x OH x OW x OC`, contiguous.
///   - input: `N x Hin x Win x Cin`, contiguous: the expansion's input, or with none the depthwise one.
///   - expandWeight: the packed one-group expansion weight (`KH·KW·Cin x C`), or nil for none;
///     `expandBias`: `C` values or nil.
///   - expandGeometry: the expansion's geometry, from `N x Hin x Win x Cin` to `N x H x W x C`;
///     needed with `expandWeight`.
///   - depthwiseWeight: `KH x KW x C`; `depthwiseBias`: `C` values or nil.
///   - depthwise: the depthwise geometry over the expanded `N x H x W x C` tensor
///     (`groups == C == outputChannels`).
///   - pointwiseWeight: the packed `C x OC` projection weight; `pointwiseBias`: `OC` values or nil.
///   - residual: `N x OH x OW x OC` added after `pointwiseActivation`, or nil.
/// - Complexity: 2·N·OH·OW·C·(KH·KW + OC) floating-point operations, plus the expansion's, plus
///   the expansion of at most `KH` shared rows again per thread.
public func depthwisePointwiseForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
    expandWeight e: PackedMatrix? = nil, expandGeometry: ConvGeometry? = nil, expandBias: UnsafePointer<Float>? = nil,
    expandActivation: Activation = .identity,
    depthwiseWeight: UnsafePointer<Float>, depthwiseBias: UnsafePointer<Float>?, depthwise g: ConvGeometry,
    depthwiseActivation: Activation,
    pointwiseWeight b: PackedMatrix, pointwiseBias: UnsafePointer<Float>?, pointwiseActivation: Activation,
    residual: UnsafePointer<Float>?
) {
    let channels = g.inputChannels
    precondition(g.groups == channels && g.outputChannels == channels, "not a depthwise geometry")
    if let e {
        precondition(expandGeometry.map { eg in
            eg.groups == 1 && e.rows == eg.patchSize && e.columns == channels && eg.outputChannels == channels
                && eg.batch == g.batch && eg.outputHeight == g.inputHeight && eg.outputWidth == g.inputWidth
        } ?? false, "the expansion does not give the depthwise layer's input")
    }
    precondition(b.rows == channels, "the pointwise weight does not take the depthwise output's channels")
    // Multiply-adds of one expanded row.
    let expandWork = expandGeometry.map { $0.outputWidth * $0.patchSize * channels } ?? 0
    let outputChannels = b.columns
    let width = g.outputWidth
    let rowFloats = g.inputWidth * channels
    // Output rows a band: as many as keep its depthwise output and the expanded input rows its
    // windows reach within `bandFloats` together: r·width·C + ((r-1)·strideHeight + KH)·rowFloats.
    let expandedRowFloats = e == nil ? 0 : rowFloats
    let fitting = (bandFloats - (g.kernelHeight - g.strideHeight) * expandedRowFloats)
        / (width * channels + g.strideHeight * expandedRowFloats)
    let bands = evenBands(rows: g.outputHeight, images: g.batch, maxRows: max(1, fitting))
    // Input rows one band's windows reach.
    let windowRows = min(g.inputHeight, (bands.maxRows - 1) * g.strideHeight + g.kernelHeight)
    let bandWork = bands.maxRows * width * channels * (g.kernelHeight * g.kernelWidth + outputChannels)
        + (e == nil ? 0 : windowRows * expandWork)
    parallelChunks(bands.count, minimumChunk: max(1, minimumParallelWork / max(1, bandWork))) { chunk in
        // 64-byte aligned, so that the depthwise kernel's vector loads do not straddle cache lines.
        let floats = bands.maxRows * width * channels + (e == nil ? 0 : windowRows * rowFloats)
        withScratch(count: floats, slot: .bands) { band in
            let expanded = band + bands.maxRows * width * channels
            // The rows of image `held.image` now in `expanded`, from its start.
            var held = (image: -1, rows: 0..<0)
            for index in chunk {
                let (image, outputRows) = bands.band(index)
                // The band's depthwise layer over just the input rows it reaches.
                let (needed, bandGeometry) = g.band(outputRows: outputRows)
                let rows: UnsafePointer<Float>
                if let e {
                    if held.image == image && held.rows.contains(needed.lowerBound) {
                        let kept = needed.lowerBound..<min(held.rows.upperBound, needed.upperBound)
                        if kept.lowerBound > held.rows.lowerBound { UnsafeMutableRawPointer(expanded).copyMemory(
                            from: expanded + (kept.lowerBound - held.rows.lowerBound) * rowFloats,
                            byteCount: kept.count * rowFloats * MemoryLayout<Float>.stride) }
                        held.rows = kept
                    } else {
                        held = (image, needed.lowerBound..<needed.lowerBound)
                    }
                    let missing = held.rows.upperBound..<needed.upperBound
                    if !missing.isEmpty {
                        // The missing rows of the expansion, as a layer of their own (the same floats).
                        let eg = expandGeometry!
                        let (sources, rowsGeometry) = eg.band(outputRows: missing)
                        convolveBlock(
                            output: expanded + held.rows.count * rowFloats, outputPixelStride: channels,
                            input: input + (image * eg.inputHeight + sources.lowerBound) * eg.inputWidth * eg.inputChannels,
                            weight: e, bias: expandBias, geometry: rowsGeometry, group: 0,
                            rowPanels: 0..<(rowsGeometry.outputPixels + microTileRows - 1) / microTileRows,
                            columnPanels: 0..<e.panels, activation: expandActivation)
                        held.rows = held.rows.lowerBound..<needed.upperBound
                    }
                    rows = UnsafePointer(expanded)
                } else {
                    rows = input + (image * g.inputHeight + needed.lowerBound) * rowFloats
                }
                let count = outputRows.count * width
                depthwisePixels(0..<count, output: band, outputPixelStride: channels, input: rows,
                                weight: depthwiseWeight, bias: depthwiseBias, geometry: bandGeometry, activation: depthwiseActivation)
                let offset = (image * g.outputHeight + outputRows.lowerBound) * width * outputChannels
                let target = output + offset
                pointwisePixels(count, output: target, input: band, weight: b, bias: pointwiseBias,
                                activation: pointwiseActivation)
                if let residual {
                    let source = residual + offset
                    for i in 0..<count * outputChannels { target[i] = target[i] + source[i] }
                }
            }
        }
    }
}

/// A pointwise (1x1) convolution of `pixels` consecutive pixels, as a 1 x `pixels` image: for
/// these pixels, the layer's own output (each value sums its input channels in the same order
/// wherever its 12-pixel panel starts).
/// - Parameters:
///   - output: `pixels x weight.columns`, contiguous; `input`: `pixels x weight.rows`, contiguous.
private func pointwisePixels(
    _ pixels: Int, output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: PackedMatrix,
    bias: UnsafePointer<Float>?, activation: Activation
) {
    let geometry = ConvGeometry(batch: 1, inputHeight: 1, inputWidth: pixels, inputChannels: weight.rows,
                                outputChannels: weight.columns, kernelHeight: 1, kernelWidth: 1)!
    convolveBlock(output: output, outputPixelStride: weight.columns, input: input, weight: weight, bias: bias,
                  geometry: geometry, group: 0, rowPanels: 0..<(pixels + microTileRows - 1) / microTileRows,
                  columnPanels: 0..<weight.panels, activation: activation)
}

/// Floats a band of `depthwisePointwiseForward` keeps, its depthwise output and expanded rows
/// together: 768 KiB, more than a 512 KiB L2 (Zen 2) holds and three quarters of a 1 MiB one (Zen 4
/// and 5), chosen by time (a band's rows are written and read a few at a time). With 256 KiB of
/// depthwise output alone, the expanded rows besides came to 322 KiB (56 x 56 x 144) and 1 MiB
/// (112 x 112 x 96, stride 2), and MobileNetV2 took 9% longer at batch 1 on a 2-core Zen 2 VM than
/// with 256 KiB for both; 384 KiB then took the same at batch 1 and 3% less at batch 8. Once each thread kept its band in scratch of its own
/// (`ScratchSlot.bands`), against 384 KiB (two threads, the same VM, alternating rounds): 256 KiB
/// 1.05x the time at batch 1; 512 KiB 0.98x; 768 KiB 0.97-0.98x (three sets of 10-12 rounds), at
/// batch 8 0.98x, on one thread 1.01x; 1 MiB 0.97-0.99x at batch 1, 0.96x at batch 8, one thread
/// 1.03x; 1.5 MiB 1.01x.
private let bandFloats = 3 << 16
