import Tensors

extension LogisticRegression {
    /// The same function written as a two-layer head, `Dense(hiddenUnits, relu) → Dense(classes)`
    /// with Keras's kernel layout (`[inputs, units]`): the shipped MobileNetV2 head can then hold
    /// a linear head fitted on cached features, without changing the architecture.
    ///
    /// Each class's score `u_c = w_c · x` passes the ReLU as two hidden units, `relu(u_c)` and
    /// `relu(-u_c)`, and the output layer takes their difference, `relu(u) - relu(-u) = u`, plus
    /// the bias: the logits are exactly `W x + b` (up to float32 rounding). The remaining hidden
    /// units are zero. (Dropout only acts in training.)
    ///
    /// - Parameter hiddenUnits: The head's hidden width; at least `2 * classCount`.
    public func denseHead(hiddenUnits: Int) throws -> (kernel: Tensor, bias: Tensor, outputKernel: Tensor, outputBias: Tensor) {
        precondition(hiddenUnits >= 2 * classCount, "two hidden units per class needed")
        let (d, k, h) = (featureCount, classCount, hiddenUnits)
        var kernel = [Float](repeating: 0, count: d * h), outputKernel = [Float](repeating: 0, count: h * k)
        for c in 0..<k {
            for j in 0..<d {
                kernel[j * h + 2 * c] = Float(weights[c * d + j])
                kernel[j * h + 2 * c + 1] = Float(-weights[c * d + j])
            }
            outputKernel[(2 * c) * k + c] = 1
            outputKernel[(2 * c + 1) * k + c] = -1
        }
        return (try Tensor(shape: [d, h], values: kernel), Tensor(shape: [h], repeating: 0),
                try Tensor(shape: [h, k], values: outputKernel), try Tensor(shape: [k], values: biases.map(Float.init)))
    }
}
