import Checkpoints
import Foundation
import Models
import NN
import Tensors

/// Keras weights in HDF5: a Keras 3 `.weights.h5` (also the `model.weights.h5` inside a
/// `.keras` archive), or a legacy Keras 2 `.h5` (full model or weights only), offered under the
/// architecture's parameter names.
///
/// Keras 3 files are matched by structure, as Keras loads them (see `KerasLayerMap`); legacy
/// files name each weight (`model_weights/Conv1/Conv1/kernel:0`) and are matched by name.
public final class KerasWeightsFile: ImportedWeights {
    public var path: String { file.path }
    public let architecture: Architecture
    public let names: [String]
    /// The Keras layer name each `vars` group records (Keras 3.10 and later), by architecture
    /// layer name: lets a test confirm that matching by structure agrees with the names.
    public let recordedLayerNames: [String: String]
    /// The input side the saved model declares (`.keras` and legacy `.h5` files record it).
    public let declaredInputSize: Int?

    private let file: HDF5File
    /// Where each parameter's dataset is.
    private let locations: [String: Int]

    /// Opens a `.weights.h5` or legacy `.h5` file.
    /// - Throws: `WeightImportError` when it is unreadable, malformed or not Keras weights.
    public convenience init(
        contentsOf path: String, architecture: Architecture, classes: Int = Architecture.ecgClasses.count, inputSize: Int? = nil
    ) throws {
        try self.init(HDF5File(LoadedBytes(contentsOf: path)), architecture: architecture, classes: classes, inputSize: inputSize)
    }

    init(_ file: HDF5File, architecture: Architecture, classes: Int, inputSize: Int?, declaredInputSize: Int? = nil) throws {
        guard architecture.framework == .keras else {
            throw WeightImportError.architectureMismatch(
                path: file.path, reason: "a Keras file cannot hold \(architecture.rawValue), a torchvision architecture")
        }
        self.file = file
        self.architecture = architecture
        let map = try KerasLayerMap(architecture: architecture, classes: classes, inputSize: inputSize)
        var locations: [String: Int] = [:]
        var recorded: [String: String] = [:]
        let root = try file.members(ofGroup: file.rootAddress)
        if let layers = root.first(where: { $0.name == "layers" }) {
            self.declaredInputSize = declaredInputSize
            var visited = Set<Int>()
            let instances = try Self.layerInstances(file, container: layers.address, visited: &visited)
            for layer in map.layers {
                let counter = map.layers.prefix { $0 != layer }.filter { $0.keras == layer.keras }.count
                guard let vars = instances[layer.keras].flatMap({ counter < $0.count ? $0[counter] : nil }) else { continue }
                let members = try file.members(ofGroup: vars)
                for (index, variable) in layer.variables.enumerated() {
                    if let dataset = members.first(where: { $0.name == String(index) }) {
                        locations["\(layer.name)/\(variable)"] = dataset.address
                    }
                }
                if let name = try file.stringAttributes(of: vars)["name"]?.first { recorded[layer.name] = name }
            }
        } else {
            let weightsRoot = root.first { $0.name == "model_weights" }?.address ?? file.rootAddress
            if let text = try file.stringAttributes(of: file.rootAddress)["model_config"]?.first {
                let config = try KerasConfig(Data(text.utf8), path: file.path)
                try config.check(against: map, architecture: architecture, path: file.path)
                self.declaredInputSize = config.inputSize
            } else {
                self.declaredInputSize = nil
            }
            guard try file.stringAttributes(of: weightsRoot)["layer_names"] != nil else {
                throw WeightImportError.malformed(path: file.path, reason: "neither Keras 3 weights (no layers group) nor legacy Keras weights (no layer_names)")
            }
            var visited = Set<Int>()
            try Self.legacyDatasets(file, group: weightsRoot, trail: [], visited: &visited, into: &locations)
        }
        self.locations = locations
        recordedLayerNames = recorded
        names = try architecture.parameterList(classes: classes, inputSize: inputSize)
            .map(\.name).filter { locations[$0] != nil }
        guard !names.isEmpty else {
            throw WeightImportError.architectureMismatch(path: file.path, reason: "holds none of \(architecture.rawValue)'s parameters")
        }
    }

    /// The `vars` groups of a Keras 3 `layers` container, by class, in Keras's numbering; the
    /// layers of nested models (a backbone inside the model) come before the container's own.
    private static func layerInstances(_ file: HDF5File, container: Int, visited: inout Set<Int>) throws -> [String: [Int]] {
        guard visited.insert(container).inserted, visited.count < HDF5File.maxMembers else {
            throw WeightImportError.malformed(path: file.path, reason: "layer groups form a cycle")
        }
        var nested: [String: [Int]] = [:]
        var own: [String: [(index: Int, vars: Int)]] = [:]
        for member in try file.members(ofGroup: container) {
            let children = try file.members(ofGroup: member.address)
            if let inner = children.first(where: { $0.name == "layers" }) {
                nested.merge(try layerInstances(file, container: inner.address, visited: &visited)) { $0 + $1 }
            }
            if let vars = children.first(where: { $0.name == "vars" }) {
                let (keras, index) = KerasLayerMap.classAndIndex(member.name)
                own[keras, default: []].append((index, vars.address))
            }
        }
        for (keras, list) in own { nested[keras, default: []] += list.sorted { $0.index < $1.index }.map(\.vars) }
        return nested
    }

    /// Legacy datasets `…/LAYER/VAR:0`, recorded as `LAYER/VAR` (`depthwise_kernel` as `kernel`).
    private static func legacyDatasets(
        _ file: HDF5File, group: Int, trail: [String], visited: inout Set<Int>, into locations: inout [String: Int]
    ) throws {
        guard visited.insert(group).inserted, visited.count < HDF5File.maxMembers else {
            throw WeightImportError.malformed(path: file.path, reason: "groups form a cycle")
        }
        for member in try file.members(ofGroup: group) {
            let path = trail + [member.name]
            if try file.isGroup(member.address) {
                try legacyDatasets(file, group: member.address, trail: path, visited: &visited, into: &locations)
            } else if path.count >= 2 {
                var variable = member.name
                if let colon = variable.lastIndex(of: ":") { variable = String(variable[..<colon]) }
                if variable == "depthwise_kernel" { variable = "kernel" }
                locations["\(path[path.count - 2])/\(variable)"] = member.address
            }
        }
    }

    public func contains(_ name: String) -> Bool { locations[name] != nil }

    public func shape(of name: String) throws -> [Int]? {
        guard let address = locations[name] else { return nil }
        return try file.dataset(at: address, name: name).shape
    }

    /// The parameter `name`, which must have `shape`.
    /// - Throws: `WeightImportError.missingTensor`, `.shapeMismatch`, or a reading error.
    public func tensor(_ name: String, shape: [Int], role: ParameterRole) throws -> Tensor {
        guard let address = locations[name] else { throw WeightImportError.missingTensor(path: path, name: name) }
        let dataset = try file.dataset(at: address, name: name)
        guard dataset.shape == shape else {
            throw WeightImportError.shapeMismatch(path: path, name: name, expected: shape, got: dataset.shape)
        }
        return try floatTensor(shape: shape, type: dataset.type, data: dataset.data, name: name, path: path)
    }
}

/// `data` (little-endian elements of `type`) as a `Float` tensor of `shape`.
/// - Throws: `WeightImportError.unsupported` for element types other than 16, 32 or 64-bit floats.
func floatTensor(shape: [Int], type: HDF5Type, data: UnsafeRawBufferPointer, name: String, path: String) throws(WeightImportError) -> Tensor {
    let count = shape.reduce(1, *)
    switch type {
    case .float(4):
        return Tensor(shape: shape) { values in
            if count > 0 { UnsafeMutableRawPointer(values).copyMemory(from: data.baseAddress!, byteCount: count * 4) }
        }
    case .float(8):
        return Tensor(shape: shape) { values in
            for i in 0..<count { values[i] = Float(Double(bitPattern: data.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) }
        }
    case .float(2):
        return Tensor(shape: shape) { values in
            for i in 0..<count { values[i] = HalfConversion.float(fromHalf: data.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        }
    default:
        throw .unsupported(path: path, feature: "\(name) is stored as \(type), not as floats")
    }
}
