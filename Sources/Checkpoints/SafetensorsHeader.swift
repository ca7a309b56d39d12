import Foundation

extension SafetensorsFile {
    /// The element types a safetensors header may name, spelled as in the file (`"F32"`, `"BF16"`...).
    ///
    /// All of them are accepted in a header; `SafetensorsFile.tensor(_:)` converts only `f32`,
    /// `f16` and `bf16`.
    public enum DType: String, Sendable, CaseIterable {
        /// A boolean, one byte.
        case bool = "BOOL"
        /// An unsigned 8-bit integer.
        case u8 = "U8"
        /// A signed 8-bit integer.
        case i8 = "I8"
        /// An 8-bit float with 5 exponent and 2 mantissa bits.
        case f8E5M2 = "F8_E5M2"
        /// An 8-bit float with 4 exponent and 3 mantissa bits.
        case f8E4M3 = "F8_E4M3"
        /// A signed 16-bit integer.
        case i16 = "I16"
        /// An unsigned 16-bit integer.
        case u16 = "U16"
        /// An IEEE 754 half-precision float.
        case f16 = "F16"
        /// A bfloat16: the upper half of a `Float`.
        case bf16 = "BF16"
        /// A signed 32-bit integer.
        case i32 = "I32"
        /// An unsigned 32-bit integer.
        case u32 = "U32"
        /// An IEEE 754 single-precision float.
        case f32 = "F32"
        /// An IEEE 754 double-precision float.
        case f64 = "F64"
        /// A signed 64-bit integer (PyTorch stores `num_batches_tracked` this way).
        case i64 = "I64"
        /// An unsigned 64-bit integer.
        case u64 = "U64"

        /// The number of bytes one element takes.
        public var byteSize: Int {
            switch self {
            case .bool, .u8, .i8, .f8E5M2, .f8E4M3: 1
            case .i16, .u16, .f16, .bf16: 2
            case .i32, .u32, .f32: 4
            case .f64, .i64, .u64: 8
            }
        }
    }

    /// Where and how one tensor is stored in a safetensors file.
    public struct TensorInfo: Sendable, Equatable {
        /// The tensor's name, the key of its header entry.
        public let name: String
        /// The element type of the stored values.
        public let dtype: DType
        /// The size of each axis, outermost first.
        public let shape: [Int]
        /// The tensor's bytes, as offsets from the start of the data section (just after the header).
        public let dataOffsets: Range<Int>

        /// The number of elements (the product of `shape`).
        public var count: Int { shape.reduce(1, *) }
    }
}

/// The header of a safetensors file, parsed and checked against the file it came from.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of UTF-8 JSON, then the data
/// section. Every rule of the format is checked here, so that reading a tensor afterwards can
/// never run outside the file.
struct SafetensorsHeader {
    /// The largest header accepted, as in the reference implementation.
    static let maxLength = 100_000_000

    /// The free-form `__metadata__` entries.
    let metadata: [String: String]
    /// The tensors, in the order of their bytes in the data section.
    let tensors: [SafetensorsFile.TensorInfo]
    /// The offset of the data section from the start of the file.
    let dataStart: Int

    /// Parses and validates the header at the start of `file`, the whole file's bytes.
    /// - Parameters:
    ///   - file: The file's contents.
    ///   - path: The file's path, for error messages.
    /// - Throws: `CheckpointError.truncated` when the file ends before the header or a tensor's
    ///   data, `CheckpointError.invalidHeader` when the header breaks any other rule.
    init(file: UnsafeRawBufferPointer, path: String) throws(CheckpointError) {
        guard file.count >= 8 else {
            throw .truncated(path: path, reason: "the file is \(file.count) bytes, too short for the 8-byte header length")
        }
        let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard declared >= 2 else {
            throw .invalidHeader(path: path, reason: "header length \(declared) is too small for a JSON object")
        }
        guard declared <= UInt64(Self.maxLength) else {
            throw .invalidHeader(path: path, reason: "header length \(declared) exceeds the limit of \(Self.maxLength) bytes")
        }
        let length = Int(declared)
        guard length <= file.count - 8 else {
            throw .truncated(path: path, reason: "the header is \(length) bytes but only \(file.count - 8) follow its length")
        }
        let json = Data(UnsafeRawBufferPointer(rebasing: file[8 ..< 8 + length]))
        guard String(data: json, encoding: .utf8) != nil else {
            throw .invalidHeader(path: path, reason: "header is not valid UTF-8")
        }

        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let problem as HeaderProblem {
            throw .invalidHeader(path: path, reason: problem.reason)
        } catch {
            throw .invalidHeader(path: path, reason: "header is not valid JSON")
        }

        dataStart = 8 + length
        metadata = raw.metadata
        tensors = try Self.validate(raw.entries, dataLength: file.count - dataStart, path: path)
    }

    /// Checks each entry's dtype, shape and offsets, and that no two tensors share bytes.
    /// - Returns: The tensors ordered by their offsets (ties, possible only between empty
    ///   tensors, by name).
    private static func validate(
        _ entries: [RawEntry], dataLength: Int, path: String
    ) throws(CheckpointError) -> [SafetensorsFile.TensorInfo] {
        let sorted = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var tensors: [SafetensorsFile.TensorInfo] = []
        tensors.reserveCapacity(sorted.count)
        var previousEnd = 0
        var previousName = ""
        for entry in sorted {
            let name = entry.name
            guard let dtype = SafetensorsFile.DType(rawValue: entry.dtype) else {
                throw .invalidHeader(path: path, reason: "tensor \"\(name)\" has unknown dtype \"\(entry.dtype)\"")
            }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidHeader(path: path, reason: "tensor \"\(name)\" has a negative dimension in shape \(entry.shape)")
            }
            guard let byteCount = checkedByteCount(shape: entry.shape, elementSize: dtype.byteSize) else {
                throw .invalidHeader(path: path, reason: "tensor \"\(name)\" has shape \(entry.shape), too large to store")
            }
            guard entry.begin >= 0, entry.begin <= entry.end else {
                throw .invalidHeader(path: path, reason: "tensor \"\(name)\" has invalid data_offsets [\(entry.begin), \(entry.end)]")
            }
            guard entry.end - entry.begin == byteCount else {
                throw .invalidHeader(
                    path: path,
                    reason: "tensor \"\(name)\" has \(entry.end - entry.begin) bytes of data but \(dtype.rawValue) \(entry.shape) needs \(byteCount)"
                )
            }
            guard entry.end <= dataLength else {
                throw .truncated(
                    path: path,
                    reason: "tensor \"\(name)\" ends at data byte \(entry.end) but the data section has \(dataLength) bytes"
                )
            }
            guard entry.begin >= previousEnd else {
                throw .invalidHeader(path: path, reason: "tensors \"\(previousName)\" and \"\(name)\" overlap")
            }
            previousEnd = entry.end
            previousName = name
            tensors.append(.init(name: name, dtype: dtype, shape: entry.shape, dataOffsets: entry.begin ..< entry.end))
        }
        return tensors
    }

    /// The number of bytes a tensor of `shape` takes, or `nil` if it overflows `Int`.
    private static func checkedByteCount(shape: [Int], elementSize: Int) -> Int? {
        var total = elementSize
        for dimension in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }
}

/// A header rule broken while decoding the JSON, with a message for `CheckpointError.invalidHeader`.
private struct HeaderProblem: Error {
    let reason: String
}

/// One tensor entry as written in the JSON, before validation.
private struct RawEntry {
    let name: String
    let dtype: String
    let shape: [Int]
    let begin: Int
    let end: Int
}

/// The header's JSON object, decoded with strict types and readable errors.
private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var entries: [RawEntry] = []

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private enum EntryKey: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }

    init(from decoder: any Decoder) throws {
        guard let object = try? decoder.container(keyedBy: Key.self) else {
            throw HeaderProblem(reason: "header is not a JSON object")
        }
        for key in object.allKeys {
            let name = key.stringValue
            if name == "__metadata__" {
                guard let values = try? object.decode([String: String].self, forKey: key) else {
                    throw HeaderProblem(reason: "__metadata__ is not an object of strings")
                }
                metadata = values
                continue
            }
            guard let entry = try? object.nestedContainer(keyedBy: EntryKey.self, forKey: key) else {
                throw HeaderProblem(reason: "tensor \"\(name)\" is not a JSON object")
            }
            guard let dtype = try? entry.decode(String.self, forKey: .dtype) else {
                throw HeaderProblem(reason: "tensor \"\(name)\" has no string \"dtype\"")
            }
            guard let shape = try? entry.decode([Int].self, forKey: .shape) else {
                throw HeaderProblem(reason: "tensor \"\(name)\" has no \"shape\" array of integers")
            }
            guard let offsets = try? entry.decode([Int].self, forKey: .dataOffsets), offsets.count == 2 else {
                throw HeaderProblem(reason: "tensor \"\(name)\" has no \"data_offsets\" pair of integers")
            }
            entries.append(RawEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
    }
}
