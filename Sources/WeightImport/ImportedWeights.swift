import Models
import NN
import Tensors

/// Parameters read from another framework's file, offered under ECGLens's names (the
/// frameworks' own: `Conv1/kernel`, `features.0.weight`) for one architecture.
public protocol ImportedWeights: ParameterSource {
    /// The file, as named in errors.
    var path: String { get }
    /// The architecture the names were mapped for.
    var architecture: Architecture { get }
    /// The architecture's parameter names that this file holds, in the architecture's order. A
    /// backbone-only file lacks the head's.
    var names: [String] { get }
    /// Whether the file holds the parameter `name`.
    func contains(_ name: String) -> Bool
    /// The stored shape of the parameter `name`; nil when the file does not hold it.
    /// - Throws: `WeightImportError` when its description is damaged.
    func shape(of name: String) throws -> [Int]?
}

extension ImportedWeights {
    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// The architecture's parameters that this file lacks, in order.
    public func missingNames(classes: Int = Architecture.ecgClasses.count, inputSize: Int? = nil) throws -> [String] {
        let held = Set(names)
        return try architecture.parameterList(classes: classes, inputSize: inputSize).map(\.name).filter { !held.contains($0) }
    }
}

extension FallbackParameterSource {
    /// Takes each parameter from `imported` when it holds it in the shape asked for, and from
    /// `fallback` otherwise: a backbone-only checkpoint, or an ImageNet checkpoint whose
    /// 1000-class head does not fit, under a freshly initialised head.
    public convenience init(imported: any ImportedWeights, fallback: ParameterSource) {
        self.init(primary: imported, holds: { name, shape in try imported.contains(name) && imported.shape(of: name) == shape },
                  fallback: fallback)
    }
}
