/// The pointwise non-linearity a kernel applies to its output before storing it.
public enum Activation: String, Sendable, Codable {
    case identity
    case relu
    /// `min(max(x, 0), 6)`, as MobileNetV2 uses.
    case relu6
}

/// Adds `bias` to each row of a `rows x columns` block and applies `activation`, in place.
///
/// The epilogue of every convolution and dense kernel, run on a tile while it is still in cache.
/// - Parameters:
///   - values: the block's first value; rows are `rowStride` apart.
///   - bias: `columns` values, or nil for none.
/// - Complexity: O(rows · columns).
@inline(__always)
public func biasActivationForward(
    values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, rowStride: Int,
    bias: UnsafePointer<Float>?, activation: Activation
) {
    if bias == nil && activation == .identity { return }
    for row in 0..<rows {
        let v = values + row * rowStride
        switch (bias, activation) {
        case (let b?, .identity): for j in 0..<columns { v[j] += b[j] }
        case (let b?, .relu): for j in 0..<columns { v[j] = max(v[j] + b[j], 0) }
        case (let b?, .relu6): for j in 0..<columns { v[j] = min(max(v[j] + b[j], 0), 6) }
        case (nil, .relu): for j in 0..<columns { v[j] = max(v[j], 0) }
        case (nil, .relu6): for j in 0..<columns { v[j] = min(max(v[j], 0), 6) }
        case (nil, .identity): break
        }
    }
}
