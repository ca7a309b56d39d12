// Naive, obviously-correct reference implementations of every op under test, and the helpers
// the test files share. Everything here is written from the definitions (PyTorch's and Keras's
// documentation), in plain nested loops over NCHW arrays, accumulating in Double, and never calls
// the kernels under test. Tensors are only used to carry values in and out.

import Determinism
import Foundation
import Kernels
import NN
import Testing
import Tensors

// MARK: - Random data

/// Seeded random floats in `range`.
func randomValues(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

/// A tensor of the given shape holding seeded random values in `range`.
func randomTensor(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
    try! Tensor(shape: shape, values: randomValues(shape.reduce(1, *), seed: seed, in: range))
}

// MARK: - Comparison

/// Checks that `actual` and `expected` have the same length and that every pair is within
/// `atol + rtol·|expected|`; records one issue naming the largest absolute difference.
/// - Returns: the largest absolute difference.
@discardableResult
func checkClose(
    _ actual: [Float], _ expected: [Float], atol: Float = 1e-4, rtol: Float = 1e-4,
    _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) -> Float {
    guard actual.count == expected.count else {
        Issue.record("\(what()): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    var maxDiff: Float = 0, worst = -1, mismatches = 0
    for i in actual.indices {
        let (a, e) = (actual[i], expected[i])
        let diff = a == e ? 0 : abs(a - e)  // a == e also covers equal infinities
        let bad = diff.isNaN || diff > atol + rtol * abs(e)
        if bad { mismatches += 1 }
        if diff.isNaN || diff > maxDiff || (bad && worst < 0) {
            maxDiff = diff.isNaN ? .nan : max(maxDiff, diff)
            worst = i
        }
        if maxDiff.isNaN { break }
    }
    if mismatches > 0 || maxDiff.isNaN {
        let message: String = "\(what()): \(mismatches) of \(actual.count) values differ; max abs diff \(maxDiff) "
            + "at index \(worst) (got \(actual[worst]), expected \(expected[worst])); atol \(atol), rtol \(rtol)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
    return maxDiff
}

/// `checkClose` for a tensor: also checks its shape.
@discardableResult
func checkClose(
    _ actual: Tensor, shape: [Int], _ expected: [Float], atol: Float = 1e-4, rtol: Float = 1e-4,
    _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) -> Float {
    #expect(actual.shape == shape, "\(what()): shape", sourceLocation: sourceLocation)
    guard actual.shape == shape else { return .infinity }
    return checkClose(actual.scalars, expected, atol: atol, rtol: rtol, what(), sourceLocation: sourceLocation)
}

// MARK: - Layouts

/// NHWC values → NCHW values.
func nhwcToNCHW(_ x: [Float], n: Int, h: Int, w: Int, c: Int) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    for b in 0..<n { for y in 0..<h { for xx in 0..<w { for ch in 0..<c {
        out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch]
    } } } }
    return out
}

/// NCHW values → NHWC values.
func nchwToNHWC(_ x: [Float], n: Int, c: Int, h: Int, w: Int) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    for b in 0..<n { for ch in 0..<c { for y in 0..<h { for xx in 0..<w {
        out[((b * h + y) * w + xx) * c + ch] = x[((b * c + ch) * h + y) * w + xx]
    } } } }
    return out
}

/// A Keras/ECGLens HWIO kernel (`KH x KW x I x O`) → PyTorch's OIHW (`O x I x KH x KW`).
func hwioToOIHW(_ w: [Float], kh: Int, kw: Int, i: Int, o: Int) -> [Float] {
    var out = [Float](repeating: 0, count: w.count)
    for y in 0..<kh { for x in 0..<kw { for ci in 0..<i { for co in 0..<o {
        out[((co * i + ci) * kh + y) * kw + x] = w[((y * kw + x) * i + ci) * o + co]
    } } } }
    return out
}

// MARK: - Activations

func activation_reference(_ x: Double, _ activation: Activation) -> Double {
    switch activation {
    case .identity: x
    case .relu: x > 0 ? x : 0
    case .relu6: x < 0 ? 0 : (x > 6 ? 6 : x)
    }
}

// MARK: - Padding

/// Keras/TensorFlow `same` padding for one axis, from TensorFlow's documentation: the output has
/// `ceil(input / stride)` positions; the total padding `max((out − 1)·stride + kernel − input, 0)`
/// is split with the odd one at the end.
func samePadding_reference(input: Int, kernel: Int, stride: Int) -> (before: Int, after: Int) {
    let out = Int((Double(input) / Double(stride)).rounded(.up))
    let total = max((out - 1) * stride + kernel - input, 0)
    return (total / 2, total - total / 2)
}

/// The explicit padding a `PaddingMode` means for an input, resolved independently of `resolve`.
func padding_reference(_ mode: PaddingMode, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int) -> Padding {
    switch mode {
    case .valid: return Padding(top: 0, bottom: 0, left: 0, right: 0)
    case .same:
        let (top, bottom) = samePadding_reference(input: h, kernel: kh, stride: sh)
        let (left, right) = samePadding_reference(input: w, kernel: kw, stride: sw)
        return Padding(top: top, bottom: bottom, left: left, right: right)
    case let .explicit(p): return p
    }
}

// MARK: - Convolution

/// PyTorch's `Conv2d` straight from its definition, on NCHW values with an OIHW weight:
/// `out[b, o, y, x] = bias[o] + Σ_{ci, ky, kx} in[b, g·Cg + ci, y·sh − top + ky, x·sw − left + kx] · w[o, ci, ky, kx]`
/// where `g = o / (OC / groups)`, `Cg = C / groups`, and taps outside the input read zero.
/// - Returns: the output size and NCHW values.
func conv2d_reference(
    input: [Float], n: Int, c: Int, h: Int, w: Int,
    weight: [Float], oc: Int, kh: Int, kw: Int, bias: [Float]?,
    stride: (Int, Int), padding p: Padding, groups: Int, activation: Activation
) -> (oh: Int, ow: Int, values: [Float]) {
    let oh = (h + p.top + p.bottom - kh) / stride.0 + 1
    let ow = (w + p.left + p.right - kw) / stride.1 + 1
    let cg = c / groups, og = oc / groups
    var out = [Float](repeating: 0, count: n * oc * oh * ow)
    for b in 0..<n {
        for o in 0..<oc {
            let g = o / og
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum = Double(bias?[o] ?? 0)
                    for ci in 0..<cg {
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = y * stride.0 - p.top + ky
                                let ix = x * stride.1 - p.left + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                let v = input[((b * c + g * cg + ci) * h + iy) * w + ix]
                                sum += Double(v) * Double(weight[((o * cg + ci) * kh + ky) * kw + kx])
                            }
                        }
                    }
                    out[((b * oc + o) * oh + y) * ow + x] = Float(activation_reference(sum, activation))
                }
            }
        }
    }
    return (oh, ow, out)
}

/// `conv2d_reference` on the NHWC input and HWIO weight the library takes.
/// - Returns: the expected NHWC shape and values.
func conv2dNHWC_reference(
    _ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: PaddingMode,
    groups: Int, activation: Activation
) -> (shape: [Int], values: [Float]) {
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (kh, kw, ci, oc) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    let p = padding_reference(padding, h: h, w: w, kh: kh, kw: kw, sh: stride.0, sw: stride.1)
    let r = conv2d_reference(
        input: nhwcToNCHW(input.scalars, n: n, h: h, w: w, c: c), n: n, c: c, h: h, w: w,
        weight: hwioToOIHW(weight.scalars, kh: kh, kw: kw, i: ci, o: oc), oc: oc, kh: kh, kw: kw,
        bias: bias?.scalars, stride: stride, padding: p, groups: groups, activation: activation)
    return ([n, r.oh, r.ow, oc], nchwToNHWC(r.values, n: n, c: oc, h: r.oh, w: r.ow))
}

/// PyTorch's `BatchNorm2d` in eval mode on NHWC values: `(x − μ)/√(σ² + ε)·γ + β`, then `activation`.
func batchNormNHWC_reference(_ x: [Float], channels: Int, _ norm: BatchNorm, activation: Activation) -> [Float] {
    x.indices.map { i in
        let c = i % channels
        let normalised = (Double(x[i]) - Double(norm.mean[c])) / (Double(norm.variance[c]) + Double(norm.epsilon)).squareRoot()
        return Float(activation_reference(normalised * Double(norm.scale[c]) + Double(norm.shift[c]), activation))
    }
}

// MARK: - Pooling

/// The output size of PyTorch's pooling along one axis:
/// `floor_or_ceil((in + before + after − kernel) / stride) + 1`, and with `ceil_mode` one fewer
/// when the last window would start in the bottom/right padding (`(out − 1)·stride ≥ in + before`).
func poolOutputSize_reference(input: Int, before: Int, after: Int, kernel: Int, stride: Int, ceilMode: Bool) -> Int {
    let span = Double(input + before + after - kernel) / Double(stride)
    var out = Int(ceilMode ? span.rounded(.up) : span.rounded(.down)) + 1
    if ceilMode && (out - 1) * stride >= input + before { out -= 1 }
    return out
}

/// PyTorch's `MaxPool2d` / `AvgPool2d` on NCHW values. Max pooling ignores padding (it counts as
/// −∞). Average pooling divides by the window clipped to the padded input
/// (`count_include_pad=True`) or by the number of real pixels under it.
/// - Returns: the output size and NCHW values.
func pool2d_reference(
    _ input: [Float], n: Int, c: Int, h: Int, w: Int, kernel: (Int, Int), stride: (Int, Int), padding p: Padding,
    ceilMode: Bool, max isMax: Bool, countIncludePad: Bool = true
) -> (oh: Int, ow: Int, values: [Float]) {
    let oh = poolOutputSize_reference(input: h, before: p.top, after: p.bottom, kernel: kernel.0, stride: stride.0, ceilMode: ceilMode)
    let ow = poolOutputSize_reference(input: w, before: p.left, after: p.right, kernel: kernel.1, stride: stride.1, ceilMode: ceilMode)
    var out = [Float](repeating: 0, count: n * c * oh * ow)
    for b in 0..<n {
        for ch in 0..<c {
            for y in 0..<oh {
                for x in 0..<ow {
                    let y0 = y * stride.0 - p.top, x0 = x * stride.1 - p.left
                    var best = -Float.infinity
                    var sum = 0.0, real = 0, padded = 0
                    for ky in 0..<kernel.0 {
                        for kx in 0..<kernel.1 {
                            let iy = y0 + ky, ix = x0 + kx
                            // Part of the padded input (which is all PyTorch's window size counts)?
                            if iy < h + p.bottom && ix < w + p.right { padded += 1 }
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            let v = input[((b * c + ch) * h + iy) * w + ix]
                            best = max(best, v)
                            sum += Double(v)
                            real += 1
                        }
                    }
                    out[((b * c + ch) * oh + y) * ow + x] =
                        isMax ? best : Float(sum / Double(countIncludePad ? padded : real))
                }
            }
        }
    }
    return (oh, ow, out)
}

/// `pool2d_reference` on an NHWC tensor. - Returns: the expected NHWC shape and values.
func pool2dNHWC_reference(
    _ input: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: PaddingMode, ceilMode: Bool,
    max isMax: Bool, countIncludePad: Bool = true
) -> (shape: [Int], values: [Float]) {
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let p = padding_reference(padding, h: h, w: w, kh: kernel.0, kw: kernel.1, sh: stride.0, sw: stride.1)
    let r = pool2d_reference(
        nhwcToNCHW(input.scalars, n: n, h: h, w: w, c: c), n: n, c: c, h: h, w: w, kernel: kernel,
        stride: stride, padding: p, ceilMode: ceilMode, max: isMax, countIncludePad: countIncludePad)
    return ([n, r.oh, r.ow, c], nchwToNHWC(r.values, n: n, c: c, h: r.oh, w: r.ow))
}

/// PyTorch's `AdaptiveAvgPool2d`: cell `(i, j)` averages rows `floor(i·H/OH) ..< ceil((i+1)·H/OH)`
/// and columns likewise, on NHWC values.
func adaptiveAvgPoolNHWC_reference(_ input: [Float], n: Int, h: Int, w: Int, c: Int, oh: Int, ow: Int) -> [Float] {
    func start(_ i: Int, _ input: Int, _ output: Int) -> Int { Int((Double(i * input) / Double(output)).rounded(.down)) }
    func end(_ i: Int, _ input: Int, _ output: Int) -> Int { Int((Double((i + 1) * input) / Double(output)).rounded(.up)) }
    var out = [Float](repeating: 0, count: n * oh * ow * c)
    for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for ch in 0..<c {
        var sum = 0.0, count = 0
        for y in start(i, h, oh)..<end(i, h, oh) {
            for x in start(j, w, ow)..<end(j, w, ow) {
                sum += Double(input[((b * h + y) * w + x) * c + ch])
                count += 1
            }
        }
        out[((b * oh + i) * ow + j) * c + ch] = Float(sum / Double(count))
    } } } }
    return out
}

// MARK: - Dense, softmax, elementwise

/// Keras's `Dense`: `out[b, o] = act(bias[o] + Σ_i x[b, i] · W[i, o])` with `W` stored `in x out`.
func dense_reference(
    _ x: [Float], batch: Int, inputs: Int, weight: [Float], outputs: Int, bias: [Float]?, activation: Activation
) -> [Float] {
    var out = [Float](repeating: 0, count: batch * outputs)
    for b in 0..<batch {
        for o in 0..<outputs {
            var sum = Double(bias?[o] ?? 0)
            for i in 0..<inputs { sum += Double(x[b * inputs + i]) * Double(weight[i * outputs + o]) }
            out[b * outputs + o] = Float(activation_reference(sum, activation))
        }
    }
    return out
}

/// Softmax of each row, in Double, from the definition `exp(x_j − max) / Σ_k exp(x_k − max)`.
func softmax_reference(_ x: [Float], columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    for row in 0..<(x.count / columns) {
        let values = x[(row * columns)..<((row + 1) * columns)].map(Double.init)
        let top = values.max()!
        let exps = values.map { Foundation.exp($0 - top) }
        let sum = exps.reduce(0, +)
        for j in 0..<columns { out[row * columns + j] = Float(exps[j] / sum) }
    }
    return out
}

/// NumPy's `transpose(axes)` on a row-major array: output index `(i_0, …)` reads input index
/// `j` with `j[axes[k]] = i_k`.
func permute_reference(_ x: [Float], shape: [Int], axes: [Int]) -> [Float] {
    let newShape = axes.map { shape[$0] }
    var out = [Float]()
    out.reserveCapacity(x.count)
    for flat in 0..<x.count {
        var rest = flat, outIndex = [Int](repeating: 0, count: shape.count)
        for k in stride(from: newShape.count - 1, through: 0, by: -1) {
            outIndex[k] = rest % newShape[k]
            rest /= newShape[k]
        }
        var inIndex = [Int](repeating: 0, count: shape.count)
        for k in 0..<axes.count { inIndex[axes[k]] = outIndex[k] }
        var offset = 0
        for k in 0..<shape.count { offset = offset * shape[k] + inIndex[k] }
        out.append(x[offset])
    }
    return out
}
