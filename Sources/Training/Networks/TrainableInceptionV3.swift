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
    let Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3: ConvUnit
    let Mixed_5b, Mixed_5c, Mixed_5d: TrainableInceptionA
    let Mixed_6a: TrainableInceptionB
    let Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e: TrainableInceptionC
    let AuxLogits: TrainableInceptionAux
    let Mixed_7a: TrainableInceptionD
    let Mixed_7b, Mixed_7c: TrainableInceptionE
    let fc: [DenseLayer]

    init(source: ParameterSource, classes: Int, transformInput: Bool) throws {
        let t = LayerBuilder(source: source)
        self.transformInput = transformInput
        Conv2d_1a_3x3 = try t.basicConv("Conv2d_1a_3x3", 3, 32, kernel: (3, 3), stride: (2, 2))
        Conv2d_2a_3x3 = try t.basicConv("Conv2d_2a_3x3", 32, 32, kernel: (3, 3))
        Conv2d_2b_3x3 = try t.basicConv("Conv2d_2b_3x3", 32, 64, kernel: (3, 3), padding: .symmetric(1))
        Conv2d_3b_1x1 = try t.basicConv("Conv2d_3b_1x1", 64, 80, kernel: (1, 1))
        Conv2d_4a_3x3 = try t.basicConv("Conv2d_4a_3x3", 80, 192, kernel: (3, 3))
        Mixed_5b = try TrainableInceptionA(t, "Mixed_5b", inputChannels: 192, poolFeatures: 32)
        Mixed_5c = try TrainableInceptionA(t, "Mixed_5c", inputChannels: 256, poolFeatures: 64)
        Mixed_5d = try TrainableInceptionA(t, "Mixed_5d", inputChannels: 288, poolFeatures: 64)
        Mixed_6a = try TrainableInceptionB(t, "Mixed_6a", inputChannels: 288)
        Mixed_6b = try TrainableInceptionC(t, "Mixed_6b", inputChannels: 768, channels7x7: 128)
        Mixed_6c = try TrainableInceptionC(t, "Mixed_6c", inputChannels: 768, channels7x7: 160)
        Mixed_6d = try TrainableInceptionC(t, "Mixed_6d", inputChannels: 768, channels7x7: 160)
        Mixed_6e = try TrainableInceptionC(t, "Mixed_6e", inputChannels: 768, channels7x7: 192)
        AuxLogits = try TrainableInceptionAux(t, "AuxLogits", inputChannels: 768, classes: classes)
        Mixed_7a = try TrainableInceptionD(t, "Mixed_7a", inputChannels: 768)
        Mixed_7b = try TrainableInceptionE(t, "Mixed_7b", inputChannels: 1280)
        Mixed_7c = try TrainableInceptionE(t, "Mixed_7c", inputChannels: 2048)
        fc = [try t.linear("fc.0", inputs: 2048, outputs: 512), try t.linear("fc.3", inputs: 512, outputs: classes)]
        parameters = t.parameters
    }

    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?) {
        // The input needs no gradient, so its re-normalisation is a plain tensor operation.
        var x = transformInput ? Variable(try InceptionV3.transformed(images.value)) : images  // N x 299 x 299 x 3
        x = try Conv2d_2b_3x3(Conv2d_2a_3x3(Conv2d_1a_3x3(x, tape), tape), tape)    // N x 147 x 147 x 64
        x = try tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2))                  // N x 73 x 73 x 64
        x = try Conv2d_4a_3x3(Conv2d_3b_1x1(x, tape), tape)                        // N x 71 x 71 x 192
        x = try tape.maxPool2d(x, kernel: (3, 3), stride: (2, 2))                  // N x 35 x 35 x 192
        x = try Mixed_5d(Mixed_5c(Mixed_5b(x, tape), tape), tape)                  // N x 35 x 35 x 288
        x = try Mixed_6a(x, tape)                                                  // N x 17 x 17 x 768
        x = try Mixed_6e(Mixed_6d(Mixed_6c(Mixed_6b(x, tape), tape), tape), tape)  // N x 17 x 17 x 768
        let auxiliary = tape.isTraining ? try AuxLogits(x, tape) : nil             // N x classes
        x = try Mixed_7c(Mixed_7b(Mixed_7a(x, tape), tape), tape)                  // N x 8 x 8 x 2048
        x = tape.dropout(try tape.globalAvgPool2d(x), rate: 0.5, generator: &generator)  // N x 2048
        x = tape.dropout(try tape.dense(x, fc[0], activation: .relu), rate: 0.3, generator: &generator)  // N x 512
        return (try tape.dense(x, fc[1]), auxiliary)                               // N x classes
    }
}
