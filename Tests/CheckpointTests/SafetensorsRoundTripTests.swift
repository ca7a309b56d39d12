import Foundation
import Testing
import Tensors
@testable import Checkpoints

@Suite("Writing and reading safetensors files")
struct SafetensorsRoundTripTests {
    let directory: TemporaryDirectory
    let weight: Tensor
    let bias: Tensor

    init() throws {
        directory = try TemporaryDirectory()
        weight = try Tensor(shape: [2, 3, 4], values: (0 ..< 24).map { Float($0) * 0.37 - 4.1 })
        bias = try Tensor(shape: [3], values: [1.5, -0.25, 1e-3])
    }

    @Test("F32 tensors come back bit for bit, with their names in file order")
    func float32RoundTrip() throws {
        let url = directory.file("model.safetensors")
        try SafetensorsFile.write([("conv.weight", weight), ("conv.bias", bias)], to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.names == ["conv.weight", "conv.bias"])
        #expect(file.contains("conv.bias"))
        #expect(!file.contains("conv.scale"))
        #expect(file.info("conv.weight") == .init(name: "conv.weight", dtype: .f32, shape: [2, 3, 4], dataOffsets: 0 ..< 96))
        #expect(file.info("conv.bias")?.shape == [3])
        #expect(file.info("missing") == nil)
        let loaded = try file.tensor("conv.weight")
        #expect(loaded.shape == [2, 3, 4])
        #expect(loaded.scalars.map(\.bitPattern) == weight.scalars.map(\.bitPattern))
        #expect(try file.tensor("conv.bias").scalars == bias.scalars)
    }

    @Test("F16 tensors come back within half precision")
    func float16RoundTrip() throws {
        let url = directory.file("half.safetensors")
        try SafetensorsFile.write([("conv.weight", weight)], to: url, dtype: .f16)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.info("conv.weight")?.dtype == .f16)
        let loaded = try file.tensor("conv.weight")
        #expect(loaded.shape == weight.shape)
        for (got, expected) in zip(loaded.scalars, weight.scalars) {
            #expect(abs(got - expected) <= abs(expected) * 0x1p-11 + 0x1p-24)
        }
    }

    @Test("BF16 tensors come back within bfloat16 precision")
    func bfloat16RoundTrip() throws {
        let url = directory.file("bf16.safetensors")
        try SafetensorsFile.write([("conv.weight", weight)], to: url, dtype: .bf16)

        let loaded = try SafetensorsFile(contentsOf: url).tensor("conv.weight")
        for (got, expected) in zip(loaded.scalars, weight.scalars) {
            #expect(abs(got - expected) <= abs(expected) * 0x1p-8)
        }
    }

    @Test("Metadata round-trips, including characters JSON must escape")
    func metadataRoundTrip() throws {
        let url = directory.file("meta.safetensors")
        let metadata = ["format": "pt", "labels": "normal,\"afib\"\\n", "note": "línea\nzwei\ttab\u{1}", "empty": ""]
        try SafetensorsFile.write([("w \"quoted\" ✓", bias)], metadata: metadata, to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.metadata == metadata)
        #expect(file.names == ["w \"quoted\" ✓"])
        #expect(try file.tensor("w \"quoted\" ✓").scalars == bias.scalars)
    }

    @Test("The header is padded with spaces to a multiple of 8 bytes")
    func headerPadding() throws {
        let url = directory.file("padded.safetensors")
        try SafetensorsFile.write([("b", bias)], metadata: ["k": "v"], to: url)

        let data = try [UInt8](Data(contentsOf: url))
        let length = Int(data[0 ..< 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(length % 8 == 0)
        #expect(data.count == 8 + length + 12)
        let header = String(decoding: data[8 ..< 8 + length], as: UTF8.self)
        #expect(header.hasPrefix("{"))
        #expect(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"))
    }

    @Test("Scalar and empty tensors round-trip, and a file may hold no tensors")
    func degenerateShapes() throws {
        let url = directory.file("degenerate.safetensors")
        let scalar = try Tensor(shape: [], values: [42])
        let empty = Tensor(shape: [0, 5])
        try SafetensorsFile.write([("scalar", scalar), ("empty", empty)], to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(try file.tensor("scalar").scalars == [42])
        #expect(try file.tensor("empty").shape == [0, 5])

        let none = directory.file("none.safetensors")
        try SafetensorsFile.write([], to: none)
        #expect(try SafetensorsFile(contentsOf: none).names.isEmpty)
    }

    @Test("Names are listed in the order of their data, not of the JSON keys")
    func namesFollowOffsets() throws {
        let header = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try directory.write(safetensorsBytes(header: header, data: bytes(of: [1, 2])), to: "order.safetensors")

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.names == ["a", "b"])
        #expect(try file.tensor("b").scalars == [2])
    }

    @Test("BF16 data written by another tool is widened exactly")
    func readsHandMadeBFloat16() throws {
        // 1.0, -2.0, 0.15625, +infinity and the largest finite bfloat16, as upper halves of floats.
        let values: [UInt16] = [0x3F80, 0xC000, 0x3E20, 0x7F80, 0x7F7F]
        let data = values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        let header = #"{"x":{"dtype":"BF16","shape":[5],"data_offsets":[0,10]}}"#
        let url = try directory.write(safetensorsBytes(header: header, data: data), to: "bf16.safetensors")

        let scalars = try SafetensorsFile(contentsOf: url).tensor("x").scalars
        #expect(scalars == [1, -2, 0.15625, .infinity, Float(bitPattern: 0x7F7F_0000)])
    }

    @Test("Integer tensors are listed but cannot be converted to Float")
    func integerTensorsAreUnsupported() throws {
        let header = #"{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"bn.weight":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let url = try directory.write(safetensorsBytes(header: header, data: [7, 0, 0, 0, 0, 0, 0, 0] + bytes(of: [0.5])), to: "bn.safetensors")

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.names == ["bn.num_batches_tracked", "bn.weight"])
        #expect(file.info("bn.num_batches_tracked")?.dtype == .i64)
        #expect(throws: CheckpointError.unsupportedDType(path: url.relativePath, name: "bn.num_batches_tracked", dtype: "I64")) {
            try file.tensor("bn.num_batches_tracked")
        }
        #expect(try file.tensor("bn.weight").scalars == [0.5])
    }

    @Test("Asking for a tensor the file lacks names the tensor and the file")
    func missingTensor() throws {
        let url = directory.file("small.safetensors")
        try SafetensorsFile.write([("conv.bias", bias)], to: url)

        let file = try SafetensorsFile(contentsOf: url)
        let error = #expect(throws: CheckpointError.self) { try file.tensor("fc.weight") }
        #expect(error == .missingTensor(path: url.relativePath, name: "fc.weight"))
        #expect(error?.description == "\(url.relativePath): no tensor named \"fc.weight\"")
    }

    @Test("A tensor of the wrong shape is refused with both shapes")
    func shapeMismatch() throws {
        let url = directory.file("small.safetensors")
        try SafetensorsFile.write([("conv.bias", bias)], to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(try file.tensor("conv.bias", expectedShape: [3]).scalars == bias.scalars)
        let error = #expect(throws: CheckpointError.self) { try file.tensor("conv.bias", expectedShape: [4]) }
        #expect(error == .shapeMismatch(path: url.relativePath, name: "conv.bias", expected: [4], got: [3]))
        #expect(error?.description == "\(url.relativePath): tensor \"conv.bias\" has shape [3] but [4] was expected")
    }

    @Test("Reading instead of mapping gives the same tensors")
    func readFallback() throws {
        let url = directory.file("model.safetensors")
        try SafetensorsFile.write([("conv.weight", weight), ("conv.bias", bias)], metadata: ["a": "b"], to: url, dtype: .f16)

        let mapped = try SafetensorsFile(contentsOf: url)
        let read = try SafetensorsFile(contentsOf: url, strategy: .read)
        #expect(mapped.isMemoryMapped)
        #expect(!read.isMemoryMapped)
        #expect(read.names == mapped.names)
        #expect(read.metadata == mapped.metadata)
        #expect(try read.tensor("conv.weight").scalars == mapped.tensor("conv.weight").scalars)
    }

    @Test("Opening a 100 MB file maps it instead of reading it")
    func largeFileIsMapped() throws {
        // A sparse file: 25M floats of zeros after the header, then one float marked at the end.
        let count = 25_000_000
        let header = #"{"big":{"dtype":"F32","shape":[\#(count)],"data_offsets":[0,\#(count * 4)]}}"#
        let url = try directory.write(safetensorsBytes(header: header), to: "big.safetensors")
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(8 + header.utf8.count + count * 4 - 4))
        try handle.seekToEnd()
        try handle.write(contentsOf: bytes(of: [3.5]))
        try handle.close()

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.isMemoryMapped)
        #expect(file.info("big")?.count == count)
        let big = try file.tensor("big")
        #expect(big[count - 1] == 3.5)
        #expect(big[0] == 0)
    }

    @Test("Writing replaces an existing file and leaves no temporary files behind")
    func atomicReplace() throws {
        let url = directory.file("model.safetensors")
        try SafetensorsFile.write([("old", bias)], to: url)
        let old = try SafetensorsFile(contentsOf: url)
        try SafetensorsFile.write([("new", weight)], to: url)

        #expect(try SafetensorsFile(contentsOf: url).names == ["new"])
        #expect(try old.tensor("old").scalars == bias.scalars)
        #expect(try directory.contents() == ["model.safetensors"])
    }

    @Test("A refused write leaves the existing file untouched")
    func failedWriteKeepsOldFile() throws {
        let url = directory.file("model.safetensors")
        try SafetensorsFile.write([("conv.bias", bias)], to: url)
        let before = try Data(contentsOf: url)

        #expect(throws: CheckpointError.writeFailed(path: url.relativePath, reason: "duplicate tensor name \"x\"")) {
            try SafetensorsFile.write([("x", bias), ("x", weight)], to: url)
        }
        #expect(throws: CheckpointError.self) {
            try SafetensorsFile.write([("__metadata__", bias)], to: url)
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try directory.contents() == ["model.safetensors"])
    }

    @Test("Writing into a missing directory fails with the file's name")
    func writeIntoMissingDirectory() throws {
        let url = directory.file("absent/model.safetensors")
        let error = #expect(throws: CheckpointError.self) { try SafetensorsFile.write([("b", bias)], to: url) }
        #expect(error == .writeFailed(path: url.relativePath, reason: "No such file or directory"))
        #expect(error?.description.hasPrefix("\(url.relativePath): cannot write: ") == true)
    }
}
