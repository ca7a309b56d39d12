import ImageIO

/// Each architecture's default input contract, and the one rule that says which contract a
/// model uses. Every caller that needs a model's input (the classifier, the server's model list,
/// `ecg models`, `ecg train`, random and imported weights) goes through ``Architecture/inputSpec(_:metadata:)``.
extension Architecture {
    /// The input the original app gave the architecture, from its file's facts.
    public var defaultInputSpec: InputSpec { facts.defaultInput }

    /// The side of the square input image the architecture was designed and trained for.
    public var defaultInputSize: Int { defaultInputSpec.inputSize }

    /// The input contract of a model of this architecture: each field that `overrides` gives (a
    /// registry entry's, a command line's), else the weights file's (`metadata`, when there is
    /// one), else this architecture's default.
    public func inputSpec(_ overrides: InputSpec.Overrides = .init(), metadata: InputSpec? = nil) -> InputSpec {
        overrides.applied(to: metadata ?? defaultInputSpec)
    }
}
