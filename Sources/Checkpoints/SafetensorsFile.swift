import Foundation
import Tensors

#if !_endian(little)
#error("Checkpoints reads safetensors' little-endian data in place and supports little-endian hosts only")
#endif

/// A safetensors checkpoint opened for reading: ECGLens's native weight format.
///
/// The file is memory-mapped and its header parsed and validated when it is opened; the tensor
/// data is touched only when `tensor(_:)` asks for it, so opening a large file is cheap. The
/// format is described at https://github.com/huggingface/safetensors.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: url)
/// let kernel = try file.tensor("stem.conv.weight", expectedShape: [3, 3, 3, 32])
/// ```
///
/// The mapping lasts as long as the object. As with any mapped file, truncating the file on disk
/// while it is open makes later reads of the lost pages fault; replace checkpoints by renaming a
/// new file over them (as `write(_:metadata:to:dtype:)` does) rather than rewriting in place.
public final class SafetensorsFile: Sendable {
    /// The file's path, as used in error messages.
    public let path: String
    /// The free-form string pairs of the header's `__metadata__` entry (empty if it has none).
    public let metadata: [String: String]
    /// The tensors' names, in the order of their data in the file.
    public let names: [String]

    private let bytes: FileBytes
    private let dataStart: Int
    private let infos: [String: TensorInfo]

    /// Opens, maps and validates the safetensors file at `url`.
    /// - Parameter url: A file URL.
    /// - Throws: `CheckpointError.fileNotFound`, `.unreadable`, `.truncated` or `.invalidHeader`.
    public convenience init(contentsOf url: URL) throws(CheckpointError) {
        try self.init(contentsOf: url, strategy: .memoryMap)
    }

    /// Opens the file at `url`, choosing how to load it (tests use this to exercise reading).
    init(contentsOf url: URL, strategy: FileBytes.Strategy) throws(CheckpointError) {
        path = url.relativePath
        bytes = try FileBytes(path: url.path, strategy: strategy)
        let header = try SafetensorsHeader(file: bytes.bytes, path: path)
        metadata = header.metadata
        names = header.tensors.map(\.name)
        dataStart = header.dataStart
        infos = Dictionary(header.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether the file's contents are memory-mapped rather than read into memory.
    var isMemoryMapped: Bool { bytes.isMemoryMapped }

    /// Whether the file holds a tensor called `name`.
    /// - Parameter name: A tensor name.
    /// - Returns: `true` if the header has an entry for `name`.
    public func contains(_ name: String) -> Bool {
        infos[name] != nil
    }

    /// The dtype, shape and position of the tensor called `name`.
    /// - Parameter name: A tensor name.
    /// - Returns: The tensor's description, or `nil` if the file has no such tensor.
    public func info(_ name: String) -> TensorInfo? {
        infos[name]
    }

    /// The tensor called `name`, converted to `Float`.
    ///
    /// `F32` data is copied with a single `memcpy`; `F16` and `BF16` are widened exactly.
    /// - Parameter name: A tensor name.
    /// - Returns: A new tensor with the stored shape.
    /// - Throws: `CheckpointError.missingTensor` if there is no such tensor,
    ///   `.unsupportedDType` if it is stored as anything but `F32`, `F16` or `BF16`.
    public func tensor(_ name: String) throws(CheckpointError) -> Tensor {
        guard let info = infos[name] else {
            throw .missingTensor(path: path, name: name)
        }
        let source = bytes.bytes.baseAddress! + dataStart + info.dataOffsets.lowerBound
        let count = info.count
        switch info.dtype {
        case .f32:
            return Tensor(shape: info.shape) { UnsafeMutableRawPointer($0).copyMemory(from: source, byteCount: count * 4) }
        case .f16:
            return Tensor(shape: info.shape) { destination in
                for i in 0 ..< count {
                    destination[i] = HalfConversion.float(fromHalf: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            }
        case .bf16:
            return Tensor(shape: info.shape) { destination in
                for i in 0 ..< count {
                    destination[i] = HalfConversion.float(fromBFloat16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            }
        default:
            throw .unsupportedDType(path: path, name: name, dtype: info.dtype.rawValue)
        }
    }

    /// The tensor called `name`, checked to have the shape a model expects.
    /// - Parameters:
    ///   - name: A tensor name.
    ///   - expectedShape: The shape the caller requires.
    /// - Returns: A new tensor of shape `expectedShape`.
    /// - Throws: `CheckpointError.shapeMismatch` if the stored shape differs, or any error of
    ///   `tensor(_:)`.
    public func tensor(_ name: String, expectedShape: [Int]) throws(CheckpointError) -> Tensor {
        if let info = infos[name], info.shape != expectedShape {
            throw .shapeMismatch(path: path, name: name, expected: expectedShape, got: info.shape)
        }
        return try tensor(name)
    }
}
