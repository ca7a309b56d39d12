/// The pointwise non-linearity a kernel applies to its output before storing it.
public enum Activation: String, Sendable, Codable {
    case identity
    case relu
    /// `min(max(x, 0), 6)`, as MobileNetV2 uses.
    case relu6
}

/// Adds `bias` to each row of a `rows x columns` block and applies `activation`, in place.
///
/// The epilogue of the dense layers, the bf16/int8 convolutions and the training tape. The fp32
/// convolution tiles apply the same epilogue in C as they store each value (Sources/CKernels/
/// epilogue.h), saving this pass over their output; the two must give the same floats, which
/// KernelSetTests checks on every kernel set.
/// Sixteen columns at a time in a vector, then one at a time: the scalar loop alone compiled to
/// 4-wide vectors with a loop test per 4 values. Both give `min(max(v + b, 0), 6)` exactly as
/// `Swift.max` and `Swift.min` define them (`max(x, 0)` is 0 where `x <= 0`, so -0 becomes +0 in
/// both, and NaN stays NaN).
/// - Parameters:
///   - values: the block's first value; rows are `rowStride` apart.
///   - bias: `columns` values, or nil for none.
/// - Complexity: O(rows · columns).
@inline(__always)
public func biasActivationForward(
    values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rowStride: Int,
    bias: UnsafePointer<Float>?, activation: Activation
) {
    typealias Vector = SIMD16<Float>
    if bias == nil && activation == .identity { return }
    let vectorColumns = columns / Vector.scalarCount * Vector.scalarCount
    // One loop per case, with nothing but the arithmetic inside: a 12 x 16 tile of small_cnn's stem
    // has one vector a row, so tests in the loop cost as much as the arithmetic.
    @inline(__always) func apply(_ f: (Vector) -> Vector) {
        func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        for row in 0..<rows {
            let v = values + row * rowStride
            for j in stride(from: 0, to: vectorColumns, by: Vector.scalarCount) {
                let x = bias.map { load(v + j) + load($0 + j) } ?? load(v + j)
                UnsafeMutableRawPointer(v + j).storeBytes(of: f(x), as: Vector.self)
            }
        }
    }
    switch activation {
    case .identity: apply { $0 }
    case .relu: apply { $0.replacing(with: 0, where: $0 .<= 0) }
    case .relu6: apply { $0.replacing(with: 0, where: $0 .<= 0).replacing(with: 6, where: $0 .> 6) }
    }
    guard vectorColumns < columns else { return }
    for row in 0..<rows {
        let v = values + row * rowStride
        for j in vectorColumns..<columns {
            let x = bias.map { v[j] + $0[j] } ?? v[j]
            switch activation {
            case .identity: v[j] = x
            case .relu: v[j] = max(x, 0)
            case .relu6: v[j] = min(max(x, 0), 6)
            }
        }
    }
}
