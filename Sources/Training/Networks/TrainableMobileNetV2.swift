import Determinism
import Kernels
import Models
import NN
import Tensors

/// MobileNetV2 (`Models.MobileNetV2`, Keras layout) for training, built from the same block
/// table: `Conv1 → 17 inverted residual blocks → Conv_1 → GlobalAveragePooling → Dense(128,relu)
/// → Dropout(0.3) → Dense(classes)`, ending in logits.
///
/// NOTE: a batch normalisation whose scale is frozen runs in inference mode (running
/// statistics, not updated), as a frozen Keras layer does: a frozen backbone stays as imported.
final class TrainableMobileNetV2: TapeNetwork {
    let parameters: [Parameter]
    let Conv1: ConvUnit
    let blocks: [MobileNetV2.InvertedResidual<ConvUnit>]
    let Conv_1: ConvUnit
    let dense: DenseLayer, dense_1: DenseLayer

    init(source: ParameterSource, classes: Int) throws {
        let keras = LayerBuilder(source: source)
        Conv1 = try keras.conv("Conv1", inputChannels: 3, filters: 32, kernel: (3, 3), stride: (2, 2), padding: .same,
                                    useBias: false, norm: "bn_Conv1", activation: .relu6)
        var channels = 32
        var blocks: [MobileNetV2.InvertedResidual<ConvUnit>] = []
        for (index, row) in MobileNetV2.blocks.enumerated() {
            blocks.append(try MobileNetV2.InvertedResidual(
                keras, index: index, inputChannels: channels, expansion: row.t, outputChannels: row.c, stride: row.s))
            channels = row.c
        }
        self.blocks = blocks
        Conv_1 = try keras.conv("Conv_1", inputChannels: channels, filters: 1280, kernel: (1, 1), padding: .same,
                                     useBias: false, norm: "Conv_1_bn", activation: .relu6)
        dense = try keras.kerasDense("dense", inputs: 1280, units: 128)
        dense_1 = try keras.kerasDense("dense_1", inputs: 128, units: classes)
        parameters = keras.parameters
    }

    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?) {
        var x = try Conv1(images, tape)                       // N x 112 x 112 x 32
        for block in blocks { x = try block(x, tape) }        // N x 7 x 7 x 320
        x = try tape.globalAvgPool2d(Conv_1(x, tape))         // N x 1280
        x = tape.dropout(try tape.dense(x, dense, activation: .relu), rate: 0.3, generator: &generator)  // N x 128
        return (try tape.dense(x, dense_1), nil)              // N x classes
    }
}

extension LayerBuilder: KerasLayerFactory {}

extension MobileNetV2.InvertedResidual where Conv == ConvUnit {
    func callAsFunction(_ input: Variable, _ tape: Tape) throws -> Variable {
        var x = try expand?(input, tape) ?? input
        x = try project(depthwise(x, tape), tape)
        return residual ? try tape.add(x, input) : x
    }
}
