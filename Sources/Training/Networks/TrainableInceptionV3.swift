import Determinism
import Kernels
import Models
import NN
import Tensors

/// InceptionV3 (`Models.InceptionV3`, torchvision layout) for training, with the auxiliary
/// head on `Mixed_6e` whose logits join the loss in training (weighted by the step's
/// `auxiliaryLossWeight`, 0.4 in torchvision's recipe). Dropout 0.5 after global pooling, as
/// torchvision's `Inception3.dropout`, and 0.3 inside the app's `fc` head.
/// NOTE: the auxiliary head needs `Mixed_6e` at least 17x17, so training needs 299x299 input;
/// evaluation works from 75x75.
final class TrainableInceptionV3: TapeNetwork {
    let parameters: [Parameter]
    let transformInput: Bool
    let layers: InceptionV3Layers<ConvUnit, DenseLayer>

    init(source: ParameterSource, classes: Int, transformInput: Bool) throws {
        let t = LayerBuilder(source: source)
        self.transformInput = transformInput
        layers = try InceptionV3Layers(t, classes: classes)
        parameters = t.parameters
    }

    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?) {
        // The input needs no gradient, so its re-normalisation is a plain tensor operation.
        var x = transformInput ? Variable(try InceptionV3.transformed(images.value)) : images                   // N x 299 x 299 x 3
        x = try layers.Conv2d_2b_3x3(layers.Conv2d_2a_3x3(layers.Conv2d_1a_3x3(x, tape), tape), tape)           // N x 147 x 147 x 64
        x = try tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2))                                               // N x 73 x 73 x 64
        x = try layers.Conv2d_4a_3x3(layers.Conv2d_3b_1x1(x, tape), tape)                                       // N x 71 x 71 x 192
        x = try tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2))                                               // N x 35 x 35 x 192
        x = try layers.Mixed_5d(layers.Mixed_5c(layers.Mixed_5b(x, tape), tape), tape)                          // N x 35 x 35 x 288
        x = try layers.Mixed_6a(x, tape)                                                                        // N x 17 x 17 x 768
        x = try layers.Mixed_6e(layers.Mixed_6d(layers.Mixed_6c(layers.Mixed_6b(x, tape), tape), tape), tape)   // N x 17 x 17 x 768
        let auxiliary = tape.isTraining ? try layers.AuxLogits(x, tape) : nil                                   // N x classes
        x = try layers.Mixed_7c(layers.Mixed_7b(layers.Mixed_7a(x, tape), tape), tape)                          // N x 8 x 8 x 2048
        x = tape.dropout(try tape.globalAvgPool2d(x), rate: 0.5, generator: &generator)                         // N x 2048
        x = tape.dropout(try tape.dense(x, layers.fc[0], activation: .relu), rate: 0.3, generator: &generator)  // N x 512
        return (try tape.dense(x, layers.fc[1]), auxiliary)                                                     // N x classes
    }
}
