import Determinism
import Kernels
import Models
import NN
import Tensors

/// VGG16 (`Models.VGG16`, torchvision layout) for training, built from the same configuration
/// table: 13 3x3 convolutions with ReLU and 5 max pools, adaptive pooling to 7x7, then
/// `Linear(25088,1024)-ReLU-Dropout(0.5)-Linear(1024,512)-ReLU-Dropout(0.5)-Linear(512,classes)`.
final class TrainableVGG16: TapeNetwork {
    let parameters: [Parameter]
    /// The `features` stack; nil entries are the 2x2 max pools.
    let features: [ConvUnit?]
    let classifier: [DenseLayer]

    init(source: ParameterSource, classes: Int) throws {
        let torch = LayerBuilder(source: source)
        features = try VGG16.features { prefix, inputs, outputs in
            try torch.torchConv(prefix, inputChannels: inputs, outputChannels: outputs, kernel: (3, 3),
                                padding: .symmetric(1), activation: .relu)
        }
        classifier = [
            try torch.linear("classifier.0", inputs: 512 * 7 * 7, outputs: 1024),
            try torch.linear("classifier.3", inputs: 1024, outputs: 512),
            try torch.linear("classifier.6", inputs: 512, outputs: classes),
        ]
        parameters = torch.parameters
    }

    func forward(_ images: Variable, tape: Tape, generator: inout SplitMix64) throws -> (logits: Variable, auxiliary: Variable?) {
        var x = images                                                  // N x 224 x 224 x 3
        for layer in features {
            x = try layer?(x, tape) ?? tape.maxPool2d(x, kernel: (2, 2), stride: (2, 2))
        }                                                               // N x 7 x 7 x 512
        x = try tape.adaptiveAvgPool2d(x, height: 7, width: 7)          // N x 7 x 7 x 512
        x = try tape.flatten(x, order: .channelsFirst)                  // N x 25088
        for layer in classifier.dropLast() {
            x = tape.dropout(try tape.dense(x, layer, activation: .relu), rate: 0.5, generator: &generator)
        }                                                               // N x 512
        return (try tape.dense(x, classifier[2]), nil)                  // N x classes
    }
}
