import Foundation
import Tensors

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafetensorsFile {
    /// The float formats `write(_:metadata:to:dtype:)` can store tensors in.
    public enum FloatDType: Sendable, CaseIterable {
        /// 32-bit floats: exact.
        case f32
        /// IEEE half precision: about 3 significant digits; magnitudes above 65504 become infinities.
        case f16
        /// bfloat16: the range of `Float` with about 2 significant digits.
        case bf16

        /// The header dtype this format is stored as.
        public var dtype: DType {
            switch self {
            case .f32: .f32
            case .f16: .f16
            case .bf16: .bf16
            }
        }
    }

    /// Writes tensors to a new safetensors file, atomically.
    ///
    /// The file is written to a temporary file in the destination's directory, flushed to disk,
    /// then renamed over `url`: a crash or error leaves either the old file or the complete new
    /// one, never a partial file. The header is padded with spaces to a multiple of 8 bytes, as
    /// the reference implementation does, and tensors are stored in the order given.
    /// - Parameters:
    ///   - tensors: The tensors and their names, which must be unique and not `__metadata__`.
    ///   - metadata: String pairs stored in the header's `__metadata__` entry (omitted if empty).
    ///   - url: The destination file URL; an existing file there is replaced.
    ///   - dtype: The format to store every tensor in.
    /// - Throws: `CheckpointError.writeFailed` when a name is invalid or the file cannot be written.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)],
        metadata: [String: String] = [:],
        to url: URL,
        dtype: FloatDType = .f32
    ) throws(CheckpointError) {
        let path = url.relativePath
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != "__metadata__" else {
                throw .writeFailed(path: path, reason: "\"__metadata__\" cannot be a tensor name")
            }
            guard seen.insert(name).inserted else {
                throw .writeFailed(path: path, reason: "duplicate tensor name \"\(name)\"")
            }
        }

        let header = headerBytes(tensors, metadata: metadata, dtype: dtype)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .writeFailed(path: path, reason: errnoDescription(errno))
        }
        // Each step runs only while the previous ones succeeded; `failure` keeps the first errno.
        let prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        var failure = prefix.withUnsafeBytes { writeAll(descriptor, $0) }
        for (_, tensor) in tensors where failure == nil {
            failure = writeData(of: tensor, as: dtype, to: descriptor)
        }
        if failure == nil, fsync(descriptor) != 0 {
            failure = errno
        }
        if close(descriptor) != 0, failure == nil {
            failure = errno
        }
        if let failure {
            unlink(temporary)
            throw .writeFailed(path: path, reason: errnoDescription(failure))
        }
        guard rename(temporary, url.path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .writeFailed(path: path, reason: errnoDescription(code))
        }
        syncDirectory(of: url)
    }

    /// The JSON header for `tensors`, padded with spaces to a multiple of 8 bytes.
    private static func headerBytes(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String], dtype: FloatDType
    ) -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let end = offset + tensor.count * dtype.dtype.byteSize
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(
                "\(jsonString(name)):{\"dtype\":\"\(dtype.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        var bytes = Array("{\(entries.joined(separator: ","))}".utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }

    /// `text` as a JSON string literal: quoted, with quotes, backslashes and control characters escaped.
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Flushes the directory holding `url`, so that the rename survives a power loss (best effort).
    private static func syncDirectory(of url: URL) {
        let descriptor = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// Writes `tensor`'s values to `descriptor` in the format `dtype`, converting in chunks.
/// - Returns: `nil` on success, else the `errno` of the failed write.
private func writeData(of tensor: Tensor, as dtype: SafetensorsFile.FloatDType, to descriptor: Int32) -> Int32? {
    tensor.withPointer { values in
        let count = tensor.count
        guard dtype != .f32 else {
            return writeAll(descriptor, UnsafeRawBufferPointer(start: values, count: count * 4))
        }
        let chunk = 1 << 16
        var narrowed = [UInt16](repeating: 0, count: min(count, chunk))
        for start in stride(from: 0, to: count, by: chunk) {
            let length = min(chunk, count - start)
            for i in 0 ..< length {
                let value = values[start + i]
                narrowed[i] = (dtype == .f16 ? HalfConversion.half(from: value) : HalfConversion.bfloat16(from: value)).littleEndian
            }
            if let code = narrowed.withUnsafeBytes({ writeAll(descriptor, UnsafeRawBufferPointer(rebasing: $0[0 ..< length * 2])) }) {
                return code
            }
        }
        return nil
    }
}

/// Writes all of `bytes`, retrying short and interrupted writes.
/// - Returns: `nil` on success, else the `errno` of the failed write.
private func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result >= 0 {
            written += result
        } else if errno != EINTR {
            return errno
        }
    }
    return nil
}
