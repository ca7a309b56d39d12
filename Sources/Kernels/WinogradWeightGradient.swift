/// The weight gradient of a 3x3 convolution at stride 1 by Winograd F(2x2, 3x3), for training:
/// 16 multiplications per 2 x 2 output pixels and input-output channel pair instead of 36.
///
/// The forward pass of a tile is `Y = Aᵀ [U ⊙ V] A` with `U = G g Gᵀ` and `V = Bᵀ d B`
/// (`WinogradConv.swift`), so its gradients are `dU = V ⊙ (A dY Aᵀ)` and `dg = Gᵀ dU G`. Summed
/// over the tiles and taken per position ξ, `dU_ξ (C x OC) = V_ξᵀ (C x tiles) · W_ξ (tiles x OC)`
/// with `W = A dY Aᵀ`: one product per position, on `gemm`'s tiles, then `Gᵀ dU G` once per
/// channel pair. Tiles partly outside the image have zero output gradients there, as the input
/// patch has zeros in the padding. G's coefficients are 0, ±1/2 and 1, A's 0 and ±1, so the
/// result differs from the direct sums by rounding only (`ConvBackwardTests`).
///
/// The tiles are split over the threads, each summing its own `dU` (16 · C · OC floats) in chunks
/// of `winogradGradientChunk` tiles, and the sums are added at the end.
/// - Parameters:
///   - weightGradient: HWIO `3 x 3 x C x OC`; added into.
///   - outputGradient: `N x OH x OW x OC`, already masked by the activation's derivative.
///   - input: `N x H x W x C`.
/// - Complexity: 32·N·⌈OH/2⌉·⌈OW/2⌉·C·OC operations (against 18·N·OH·OW·C·OC for im2col and a
///   product), plus O(tiles · (C + OC)) for the transforms.
func addWeightGradientWinograd(
    _ weightGradient: UnsafeMutablePointer<Float>, outputGradient dy: UnsafePointer<Float>, input: UnsafePointer<Float>,
    geometry g: ConvGeometry
) {
    let algorithm = WinogradAlgorithm.f2x2k3x3
    let (c, k, positions) = (g.inputChannels, g.outputChannels, algorithm.positions)
    let grid = WinogradGrid(algorithm: algorithm, geometry: g)
    let total = g.winogradTiles(algorithm).count
    let chunks = min(kernelThreadCount, max(1, total / winogradGradientChunk))
    let partialCount = positions * c * k
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * partialCount)
    partials.update(repeating: 0, count: chunks * partialCount)
    defer { partials.deallocate() }
    parallelChunks(chunks) { range in
        let rows = winogradGradientChunk
        // Not thread scratch: `gemm` packs into that.
        let v = UnsafeMutablePointer<Float>.allocate(capacity: positions * rows * (c + k) + max(c, k))
        defer { v.deallocate() }
        let w = v + positions * rows * c, zeros = w + positions * rows * k
        zeros.update(repeating: 0, count: max(c, k))
        for chunk in range {
            let du = partials + chunk * partialCount
            let tiles = (total * chunk / chunks)..<(total * (chunk + 1) / chunks)
            for first in stride(from: tiles.lowerBound, to: tiles.upperBound, by: rows) {
                let count = min(rows, tiles.upperBound - first)
                for row in 0..<count {
                    winogradPatch(first + row, grid: grid, input: input, zeros: zeros, geometry: g) { patch in
                        winogradInputF2x2k3x3(patch, into: v + row * c, rowStride: rows * c, channels: c)
                    }
                    winogradOutputGradientF2x2(first + row, grid: grid, outputGradient: dy, zeros: zeros, geometry: g,
                                               into: w + row * k, rowStride: rows * k)
                }
                for xi in 0..<positions {
                    gemm(m: c, n: k, k: count, a: v + xi * rows * c, lda: c, transposeA: true,
                         b: w + xi * rows * k, ldb: k, c: du + xi * c * k, ldc: k, beta: 1)
                }
            }
        }
    }
    // dg = Gᵀ dU G, tap by tap: tap (i, j) takes position (p, q) with coefficient G[p][i] · G[q][j].
    let gTransform = WinogradAlgorithm.g3
    for chunk in 1..<chunks {
        let (sum, partial) = (partials, partials + chunk * partialCount)
        for e in 0..<partialCount { sum[e] += partial[e] }
    }
    for i in 0..<3 {
        for j in 0..<3 {
            let destination = weightGradient + (i * 3 + j) * c * k
            for p in 0..<4 {
                for q in 0..<4 {
                    let coefficient = Float(gTransform[p][i] * gTransform[q][j])
                    guard coefficient != 0 else { continue }
                    let du = partials + (p * 4 + q) * c * k
                    for e in 0..<(c * k) { destination[e] += coefficient * du[e] }
                }
            }
        }
    }
}

/// Tiles a thread transforms and multiplies at a time for `addWeightGradientWinograd`: the depth of
/// its products; V and W take 16 · 128 · (C + OC) floats. 256 timed 1-5 % slower (VGG16 and
/// InceptionV3 training steps at batch 8, Zen 2 VM).
let winogradGradientChunk = 128

/// `W = A dY Aᵀ` of tile `t`'s 2 x 2 output gradients (`zeros`, OC of them, outside the image),
/// every channel, 16 at a time (OC is a multiple of 32: `WinogradWeight.allows`): position ξ's
/// `OC` values at `w + ξ · rowStride`. With Aᵀ = `[[1, 1, 1, 0], [0, 1, −1, −1]]`, a row
/// (x0, x1) becomes (x0, x0 + x1, x0 − x1, −x1), across and then down. Not inlined, for the
/// reason the forward transforms are not (`WinogradConv.swift`).
@inline(never)
private func winogradOutputGradientF2x2(
    _ t: Int, grid: WinogradGrid, outputGradient dy: UnsafePointer<Float>, zeros: UnsafePointer<Float>,
    geometry g: ConvGeometry, into w: UnsafeMutablePointer<Float>, rowStride: Int
) {
    let k = g.outputChannels
    let (image, top, left) = grid.origin(t)
    let (down, across) = (top + 1 < g.outputHeight, left + 1 < g.outputWidth)
    let p00 = dy + ((image * g.outputHeight + top) * g.outputWidth + left) * k
    let p01 = across ? p00 + k : zeros, p10 = down ? p00 + g.outputWidth * k : zeros
    let p11 = down && across ? p00 + (g.outputWidth + 1) * k : zeros
    var o = 0
    while o < k {
        let (x00, x01, x10, x11) = (loadVector(p00 + o), loadVector(p01 + o), loadVector(p10 + o), loadVector(p11 + o))
        let (t0, t1, t2, t3) = (x00, x00 + x01, x00 - x01, -x01)
        let (b0, b1, b2, b3) = (x10, x10 + x11, x10 - x11, -x11)
        let row = w + o
        storeVector(t0, row)
        storeVector(t1, row + rowStride)
        storeVector(t2, row + 2 * rowStride)
        storeVector(t3, row + 3 * rowStride)
        storeVector(t0 + b0, row + 4 * rowStride)
        storeVector(t1 + b1, row + 5 * rowStride)
        storeVector(t2 + b2, row + 6 * rowStride)
        storeVector(t3 + b3, row + 7 * rowStride)
        storeVector(t0 - b0, row + 8 * rowStride)
        storeVector(t1 - b1, row + 9 * rowStride)
        storeVector(t2 - b2, row + 10 * rowStride)
        storeVector(t3 - b3, row + 11 * rowStride)
        storeVector(-b0, row + 12 * rowStride)
        storeVector(-b1, row + 13 * rowStride)
        storeVector(-b2, row + 14 * rowStride)
        storeVector(-b3, row + 15 * rowStride)
        o += 16
    }
}
