/// Max pooling's backward pass: each output's gradient goes to the input that won its window
/// (the first maximum, as PyTorch picks), added into `inputGradient`. Images are split over
/// threads, so no two threads write the same value.
/// - Parameters:
///   - inputGradient: `N x H x W x C`; added into.
///   - outputGradient: `N x OH x OW x C`.
///   - input: `N x H x W x C`, the forward pass's input.
/// - Complexity: O(N·OH·OW·C·KH·KW).
public func maxPool2dBackward(
    inputGradient: UnsafeMutablePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    input: UnsafePointer<Float>, geometry g: PoolGeometry
) {
    let c = g.channels
    forEachWindow(g) { image, outputOffset, rows, columns, _ in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { best in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: c) { winner in
                // Window positions in order, every channel at once: a later value wins only if larger.
                var first = true
                for ih in rows {
                    for iw in columns {
                        let offset = ((image * g.inputHeight + ih) * g.inputWidth + iw) * c
                        let x = input + offset
                        if first {
                            for j in 0..<c { (best[j], winner[j]) = (x[j], offset + j) }
                            first = false
                        } else {
                            for j in 0..<c where x[j] > best[j] { (best[j], winner[j]) = (x[j], offset + j) }
                        }
                    }
                }
                guard !first else { return }
                for j in 0..<c { inputGradient[winner[j]] += dy[outputOffset + j] }
            }
        }
    }
}

/// Average pooling's backward pass: each output's gradient, divided by the window's count (see
/// `avgPool2dForward`'s `countIncludePad`), is added to every real input under the window.
/// - Parameters:
///   - inputGradient: `N x H x W x C`; added into.
///   - outputGradient: `N x OH x OW x C`.
/// - Complexity: O(N·OH·OW·C·KH·KW).
public func avgPool2dBackward(
    inputGradient: UnsafeMutablePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    geometry g: PoolGeometry, countIncludePad: Bool
) {
    let c = g.channels
    forEachWindow(g) { image, outputOffset, rows, columns, paddedCount in
        let scale = 1 / Float(countIncludePad ? paddedCount : rows.count * columns.count)
        let go = dy + outputOffset
        for ih in rows {
            for iw in columns {
                let dx = inputGradient + ((image * g.inputHeight + ih) * g.inputWidth + iw) * c
                for j in 0..<c { dx[j] += go[j] * scale }
            }
        }
    }
}

/// Calls `body` for every output pixel of a pooling: its image, the offset of its first output
/// value, the real input rows and columns under its window, and the window's size clipped to
/// the padded input. Images are split over threads.
private func forEachWindow(_ g: PoolGeometry, _ body: (Int, Int, Range<Int>, Range<Int>, Int) -> Void) {
    parallelChunks(g.batch) { images in
        for image in images {
            for oh in 0..<g.outputHeight {
                let h0 = oh * g.strideHeight - g.padding.top
                let hEnd = min(h0 + g.kernelHeight, g.inputHeight + g.padding.bottom)
                for ow in 0..<g.outputWidth {
                    let w0 = ow * g.strideWidth - g.padding.left
                    let wEnd = min(w0 + g.kernelWidth, g.inputWidth + g.padding.right)
                    let outputOffset = ((image * g.outputHeight + oh) * g.outputWidth + ow) * g.channels
                    body(image, outputOffset, max(h0, 0)..<min(hEnd, g.inputHeight),
                         max(w0, 0)..<min(wEnd, g.inputWidth), (hEnd - h0) * (wEnd - w0))
                }
            }
        }
    }
}

/// `adaptiveAvgPool2dForward`'s backward pass: each output cell's gradient, divided by its
/// window's size, is added to every input in the window.
/// - Parameters:
///   - inputGradient: `N x H x W x C`; added into.
///   - outputGradient: `N x OH x OW x C`.
/// - Complexity: O(N·H·W·C) when the windows do not overlap.
public func adaptiveAvgPool2dBackward(
    inputGradient: UnsafeMutablePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    batch: Int, inputHeight: Int, inputWidth: Int, channels: Int, outputHeight: Int, outputWidth: Int
) {
    parallelChunks(batch) { images in
        for image in images {
            for i in 0..<outputHeight {
                let h0 = i * inputHeight / outputHeight
                let h1 = ((i + 1) * inputHeight + outputHeight - 1) / outputHeight
                for j in 0..<outputWidth {
                    let w0 = j * inputWidth / outputWidth
                    let w1 = ((j + 1) * inputWidth + outputWidth - 1) / outputWidth
                    let scale = 1 / Float((h1 - h0) * (w1 - w0))
                    let go = dy + ((image * outputHeight + i) * outputWidth + j) * channels
                    for ih in h0..<h1 {
                        for iw in w0..<w1 {
                            let dx = inputGradient + ((image * inputHeight + ih) * inputWidth + iw) * channels
                            for c in 0..<channels { dx[c] += go[c] * scale }
                        }
                    }
                }
            }
        }
    }
}
