/// Loss weights that balance imbalanced classes.
public enum ClassWeights {
    /// scikit-learn's `"balanced"` weights, `total / (classes * count)`, so every class contributes
    /// the same total weight; a class with no examples gets 0.
    ///
    /// See: https://scikit-learn.org/stable/modules/generated/sklearn.utils.class_weight.compute_class_weight.html
    public static func balanced(counts: [Int]) -> [Float] {
        let total = Float(counts.reduce(0, +))
        return counts.map { $0 == 0 ? 0 : total / (Float(counts.count) * Float($0)) }
    }
}
