import Kernels
import NN
import Tensors

/// The small two-convolution network of the original app (Keras `Sequential`):
/// `Conv2D(16,3,same,relu) → MaxPool(4) → Conv2D(32,3,same,relu) → MaxPool(4) → Flatten →
/// Dense(64,relu) → Dropout(0.3) → Dense(classes,softmax)`.
///
/// Parameters carry Keras layer names: `conv2d`, `conv2d_1`, `dense`, `dense_1`.
public struct SmallCNN: Network {
    public var architecture: Architecture { .smallCNN }
    let conv2d: Conv2D, conv2d_1: Conv2D
    let dense: Dense, dense_1: Dense

    /// - Parameters:
    ///   - inputSize: the input's side; the dense layer's width depends on it (`(⌊⌊s/4⌋/4⌋)² · 32`).
    public init(parameters source: ParameterSource, classes: Int, inputSize: Int = 299) throws {
        let keras = KerasLayers(source: source)
        conv2d = try keras.conv("conv2d", inputChannels: 3, filters: 16, kernel: (3, 3), padding: .same, activation: .relu)
        conv2d_1 = try keras.conv("conv2d_1", inputChannels: 16, filters: 32, kernel: (3, 3), padding: .same, activation: .relu)
        let side = inputSize / 4 / 4
        dense = try keras.dense("dense", inputs: side * side * 32, units: 64, activation: .relu)
        dense_1 = try keras.dense("dense_1", inputs: 64, units: classes)
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        var x = try conv2d(input)                                     // N x 299 x 299 x 16
        x = try x.maxPool2d(kernel: (4, 4), stride: (4, 4))           // N x 74 x 74 x 16
        x = try conv2d_1(x)                                           // N x 74 x 74 x 32
        x = try x.maxPool2d(kernel: (4, 4), stride: (4, 4))           // N x 18 x 18 x 32
        x = try x.flatten(order: .channelsLast)                       // N x 10368
        x = try dense(x)                                              // N x 64 (dropout: identity)
        return try dense_1(x).softmax()                               // N x classes
    }
}
