import Tensors
import Training

/// Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
/// Gradient-based Localization", ICCV 2017): where in the last convolutional block's grid the
/// evidence for one class lies.
///
/// Each channel k of the activation A gets the weight `α_k = mean over pixels of ∂y_c/∂A_k`
/// (y_c the class's logit); the map is `ReLU(Σ_k α_k A_k)`, divided by its maximum.
public enum GradCAM {
    /// The map from an activation and the class logit's gradient with respect to it.
    /// - Parameters:
    ///   - activation: `1 x H x W x C`.
    ///   - gradient: The same shape.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ or are not one NHWC image.
    public static func map(activation: Tensor, gradient: Tensor) throws -> Heatmap {
        guard activation.rank == 4, activation.shape[0] == 1, gradient.shape == activation.shape else {
            throw TensorError.shapeMismatch(expected: activation.shape, got: gradient.shape)
        }
        let (height, width, channels) = (activation.shape[1], activation.shape[2], activation.shape[3])
        let pixels = height * width
        let a = activation.scalars, g = gradient.scalars
        var weights = [Double](repeating: 0, count: channels)
        for pixel in 0..<pixels {
            for k in 0..<channels { weights[k] += Double(g[pixel * channels + k]) }
        }
        for k in 0..<channels { weights[k] /= Double(pixels) }
        var raw = [Float](repeating: 0, count: pixels)
        for pixel in 0..<pixels {
            var sum = 0.0
            for k in 0..<channels { sum += weights[k] * Double(a[pixel * channels + k]) }
            raw[pixel] = Float(max(sum, 0))
        }
        let peak = raw.max() ?? 0
        let values = peak > 0 ? raw.map { $0 / peak } : raw
        return Heatmap(width: width, height: height, values: values, peak: peak)
    }

    /// Grad-CAM of `network` for one preprocessed image (`1 x S x S x 3`) and a class (the top
    /// class when nil), on the network's last convolutional block, through the training engine's
    /// backward pass (`TrainableNetwork.lastSpatialGradient`).
    /// - Returns: The map, the class explained, the logits and the block's `H x W x C`.
    public static func explain(
        _ network: any TrainableNetwork, image: Tensor, classIndex: Int?
    ) throws -> (heatmap: Heatmap, classIndex: Int, logits: [Float], layerShape: [Int]) {
        let traced = try network.lastSpatialGradient(image: image, classIndex: classIndex)
        let heatmap = try map(activation: traced.activation, gradient: traced.gradient)
        return (heatmap, traced.classIndex, traced.logits, Array(traced.activation.shape.dropFirst()))
    }
}
