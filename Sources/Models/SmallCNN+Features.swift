import NN
import Tensors

extension SmallCNN: PenultimateFeatures {
    public var penultimateLayer: String { "dense" }
    public var penultimateWidth: Int { dense.weight.shape[1] }

    /// The forward pass of `callAsFunction`, keeping the 64 ReLU outputs of `dense`.
    public func penultimateAndOutput(_ input: Tensor) throws -> (features: Tensor, output: Tensor) {
        var x = try conv2d(input)
        x = try x.maxPool2d(kernel: (4, 4), stride: (4, 4))
        x = try conv2d_1(x)
        x = try x.maxPool2d(kernel: (4, 4), stride: (4, 4))
        x = try x.flatten(order: .channelsLast)
        let features = try dense(x)                     // N x 64 (dropout: identity)
        return (features, try output(fromPenultimate: features))
    }

    public func output(fromPenultimate features: Tensor) throws -> Tensor {
        try dense_1(features).softmax()
    }
}
