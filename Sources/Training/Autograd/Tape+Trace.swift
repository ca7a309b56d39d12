import Tensors

extension Tape {
    /// The outputs recorded so far by a tape in `.tracing` mode, in forward order: every
    /// activation of the network, for code that looks inside it (Grad-CAM picks the last
    /// convolutional block's output from these).
    public var tracedOutputs: [Variable] { traced.map(\.variable) }

    /// The gradient of one element of `output` (a logit, say) with respect to `node`, an output
    /// recorded earlier on this tracing tape. Runs only the backward steps of the operations
    /// recorded after `node`, then forgets the tape's steps: call it once per forward pass.
    /// - Parameters:
    ///   - output: A traced output; its gradient must not have been seeded yet.
    ///   - element: The element's flat index in `output`.
    ///   - node: A traced output recorded before `output`.
    /// - Returns: `node`'s gradient, shaped like its value (zeros where nothing flowed back).
    /// - Throws: `TensorError.invalidArgument` when the tape is not tracing, when `node` or
    ///   `output` was not traced, or when `element` is out of range.
    public func gradient(of output: Variable, element: Int, withRespectTo node: Variable) throws -> Tensor {
        guard mode == .tracing else { throw TensorError.invalidArgument("gradients of inner activations need a tracing tape") }
        guard let nodeStep = traced.first(where: { $0.variable === node })?.step,
              traced.contains(where: { $0.variable === output && $0.step > nodeStep }) else {
            throw TensorError.invalidArgument("the node and the output must be outputs traced on this tape, the node first")
        }
        guard (0..<output.value.count).contains(element) else {
            throw TensorError.invalidArgument("element \(element) is outside an output of \(output.value.count) values")
        }
        output.gradientPointer()[element] = 1
        backward(after: nodeStep)
        return node.gradient ?? Tensor(shape: node.value.shape, repeating: 0)
    }
}
