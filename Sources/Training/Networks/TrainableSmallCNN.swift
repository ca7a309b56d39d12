import Determinism
import Kernels
import NN
import Tensors

/// The small CNN (`Models.SmallCNN`) for training: `Conv2D(16,3,same,relu) → MaxPool(4) →
/// Conv2D(32,3,same,relu) → MaxPool(4) → Flatten → Dense(64,relu) → Dropout(0.3) → Dense(classes)`,
/// ending in logits (the inference model's softmax is the loss's).
final class TrainableSmallCNN: TapeNetwork {
    let parameters: [Parameter]
    let conv2d: ConvUnit, conv2d_1: ConvUnit
    let dense: DenseLayer, dense_1: DenseLayer

    init(source: ParameterSource, classes: Int, inputSize: Int) throws {
        let keras = LayerBuilder(source: source)
        conv2d = try keras.conv("conv2d", inputChannels: 3, filters: 16, kernel: (3, 3), padding: .same, activation: .relu)
        conv2d_1 = try keras.conv("conv2d_1", inputChannels: 16, filters: 32, kernel: (3, 3), padding: .same, activation: .relu)
        let side = inputSize / 4 / 4
        dense = try keras.kerasDense("dense", inputs: side * side * 32, units: 64)
        dense_1 = try keras.kerasDense("dense_1", inputs: 64, units: classes)
        parameters = keras.parameters
    }

    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?) {
        var x = try conv2d(images, tape)                                        // N x 299 x 299 x 16
        x = try tape.maxPool2d(x, kernel: (4, 4), stride: (4, 4))               // N x 74 x 74 x 16
        x = try conv2d_1(x, tape)                                               // N x 74 x 74 x 32
        x = try tape.maxPool2d(x, kernel: (4, 4), stride: (4, 4))               // N x 18 x 18 x 32
        x = try tape.flatten(x, order: .channelsLast)                           // N x 10368
        x = tape.dropout(try tape.dense(x, dense, activation: .relu), rate: 0.3, generator: &generator)  // N x 64
        return (try tape.dense(x, dense_1), nil)                                // N x classes
    }
}
