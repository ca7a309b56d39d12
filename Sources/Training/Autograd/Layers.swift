import Kernels
import NN
import Tensors

/// A convolution's parameters and settings (the weight in its framework's layout, `ConvLayout` in NN).
public struct ConvLayer: Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let layout: ConvLayout
    public let stride: (Int, Int)
    public let padding: PaddingMode

    /// The weight as HWIO `KH x KW x C/groups x OC`, as the kernels read it.
    func hwioWeight() throws -> Tensor {
        let shape = weight.value.shape
        switch layout {
        case .hwio: return weight.value
        case .oihw: return oihwToHWIO(weight.value)
        case .depthwise: return try weight.value.reshaped([shape[0], shape[1], 1, shape[2]])
        }
    }

    /// One group, or one per channel for a depthwise convolution.
    var groups: Int { layout == .depthwise ? weight.value.shape[2] : 1 }

    /// Whether the backward pass has a parameter gradient to compute.
    var hasTrainableParameters: Bool { weight.isTrainable || bias?.isTrainable == true }
}

/// An `OC x C x KH x KW` weight as `KH x KW x C x OC`: the transposition the forward pass of a
/// PyTorch convolution makes every step (a plain loop; `Tensor.permuted` is general and slow).
func oihwToHWIO(_ oihw: Tensor) -> Tensor {
    let (oc, c, kh, kw) = (oihw.shape[0], oihw.shape[1], oihw.shape[2], oihw.shape[3])
    let source = oihw.storage.pointer
    return Tensor(shape: [kh, kw, c, oc]) { hwio in
        for o in 0..<oc {
            for i in 0..<c {
                for tap in 0..<(kh * kw) { hwio[(tap * c + i) * oc + o] = source[(o * c + i) * kh * kw + tap] }
            }
        }
    }
}

/// A batch normalisation's four parameters and settings.
public struct BatchNormLayer: Sendable {
    public let scale: Parameter, shift: Parameter, mean: Parameter, variance: Parameter
    public let epsilon: Float
    public let convention: NormConvention

    /// Whether training uses the batch's statistics (and updates the running ones).
    var usesBatchStatistics: Bool { convention == .torch || scale.isTrainable }
    var hasTrainableParameters: Bool { scale.isTrainable || shift.isTrainable }
}

/// A fully connected layer's parameters.
public struct DenseLayer: Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    /// False for Keras's `in x out` kernel, true for PyTorch's `out x in` weight.
    public let isTransposed: Bool

    var inputs: Int { weight.value.shape[isTransposed ? 1 : 0] }
    var outputs: Int { weight.value.shape[isTransposed ? 0 : 1] }
    var hasTrainableParameters: Bool { weight.isTrainable || bias?.isTrainable == true }
}

extension Parameter {
    /// The gradient buffer when the optimiser will use it, else nil (frozen: not computed).
    var gradientIfTrainable: UnsafeMutablePointer<Float>? { isTrainable ? gradient.storage.pointer : nil }
}
