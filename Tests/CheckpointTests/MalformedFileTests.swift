import Determinism
import Foundation
import Testing
import Tensors
@testable import Checkpoints

@Suite("Refusing malformed safetensors files")
struct MalformedFileTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// The error opening `bytes` as a file gives, checking both loading strategies agree.
    private func error(opening bytes: [UInt8]) throws -> (error: CheckpointError?, path: String) {
        let url = try directory.write(bytes, to: "bad.safetensors")
        let mapped = openError(url)
        #expect(openError(url, strategy: .read) == mapped)
        return (mapped, url.relativePath)
    }

    /// A header entry for a tensor.
    private func entry(_ name: String, _ dtype: String = "F32", shape: [Int], offsets: (Int, Int)) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(offsets.0),\#(offsets.1)]}"#
    }

    @Test("A nonexistent file is reported as not found")
    func nonexistentFile() {
        let url = directory.file("nowhere.safetensors")
        #expect(openError(url) == .fileNotFound(path: url.relativePath))
        #expect(openError(url)?.description == "\(url.relativePath): no such file")
    }

    @Test("A directory is refused as unreadable")
    func directoryIsUnreadable() {
        #expect(openError(directory.url) == .unreadable(path: directory.url.relativePath, reason: "not a regular file"))
    }

    @Test("An empty file is refused as truncated with the file's name")
    func emptyFile() throws {
        let (error, path) = try error(opening: [])
        #expect(error == .truncated(path: path, reason: "the file is 0 bytes, too short for the 8-byte header length"))
        #expect(error?.description.hasPrefix("\(path): file is truncated") == true)
    }

    @Test("A 3-byte file is refused as truncated")
    func threeByteFile() throws {
        let (error, path) = try error(opening: [1, 2, 3])
        #expect(error == .truncated(path: path, reason: "the file is 3 bytes, too short for the 8-byte header length"))
    }

    @Test("A header length beyond the end of the file is refused as truncated")
    func headerLongerThanFile() throws {
        let (error, path) = try error(opening: safetensorsBytes(header: "{}", declaredLength: 100))
        #expect(error == .truncated(path: path, reason: "the header is 100 bytes but only 2 follow its length"))
    }

    @Test("An absurd header length is refused without allocating it")
    func absurdHeaderLength() throws {
        let (error, path) = try error(opening: safetensorsBytes(header: "{}", declaredLength: 1 << 60))
        #expect(error == .invalidHeader(path: path, reason: "header length 1152921504606846976 exceeds the limit of 100000000 bytes"))
    }

    @Test("A header length below 2 is refused")
    func tinyHeaderLength() throws {
        let (error, path) = try error(opening: safetensorsBytes(header: "{}", declaredLength: 1))
        #expect(error == .invalidHeader(path: path, reason: "header length 1 is too small for a JSON object"))
    }

    @Test("A header that is not JSON is refused with a one-line message")
    func notJSON() throws {
        let (error, path) = try error(opening: safetensorsBytes(header: "{not json at all"))
        #expect(error == .invalidHeader(path: path, reason: "header is not valid JSON"))
        #expect(error?.description == "\(path): header is not valid JSON")
    }

    @Test("A header that is not UTF-8 is refused")
    func notUTF8() throws {
        var bytes = safetensorsBytes(header: #"{"x":{}}"#)
        bytes[10] = 0xFF
        let (error, path) = try error(opening: bytes)
        #expect(error == .invalidHeader(path: path, reason: "header is not valid UTF-8"))
    }

    @Test("A JSON array instead of an object is refused")
    func arrayHeader() throws {
        let (error, path) = try error(opening: safetensorsBytes(header: "[1, 2, 3]"))
        #expect(error == .invalidHeader(path: path, reason: "header is not a JSON object"))
    }

    @Test("An unknown dtype is refused, naming the tensor")
    func unknownDType() throws {
        let header = "{\(entry("w", "F128", shape: [1], offsets: (0, 16)))}"
        let (error, path) = try error(opening: safetensorsBytes(header: header, data: Array(repeating: 0, count: 16)))
        #expect(error == .invalidHeader(path: path, reason: #"tensor "w" has unknown dtype "F128""#))
    }

    @Test("Entries with missing or mistyped fields are refused")
    func malformedEntries() throws {
        let cases: [(String, String)] = [
            (#"{"w":[1]}"#, #"tensor "w" is not a JSON object"#),
            (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, #"tensor "w" has no string "dtype""#),
            (#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, #"tensor "w" has no "shape" array of integers"#),
            (#"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, #"tensor "w" has no "shape" array of integers"#),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, #"tensor "w" has no "data_offsets" pair of integers"#),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,1e30]}}"#, #"tensor "w" has no "data_offsets" pair of integers"#),
            (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, #"tensor "w" has a negative dimension in shape [-1]"#),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, #"tensor "w" has invalid data_offsets [4, 0]"#),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, #"tensor "w" has invalid data_offsets [-4, 0]"#),
            (
                #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#,
                #"tensor "w" has shape [4611686018427387904, 4], too large to store"#
            ),
            (#"{"__metadata__":{"epochs":3}}"#, "__metadata__ is not an object of strings"),
            (#"{"__metadata__":["a"]}"#, "__metadata__ is not an object of strings"),
        ]
        for (header, reason) in cases {
            let (error, path) = try error(opening: safetensorsBytes(header: header, data: Array(repeating: 0, count: 8)))
            #expect(error == .invalidHeader(path: path, reason: reason), "header \(header)")
        }
    }

    @Test("Offsets past the end of the data are refused as truncated")
    func offsetsOutOfRange() throws {
        let header = "{\(entry("w", shape: [4], offsets: (16, 32)))}"
        let (error, path) = try error(opening: safetensorsBytes(header: header, data: Array(repeating: 0, count: 20)))
        #expect(error == .truncated(path: path, reason: #"tensor "w" ends at data byte 32 but the data section has 20 bytes"#))
    }

    @Test("Offsets that do not match the shape's size are refused")
    func offsetsDisagreeWithShape() throws {
        let header = "{\(entry("w", "F16", shape: [2, 3], offsets: (0, 24)))}"
        let (error, path) = try error(opening: safetensorsBytes(header: header, data: Array(repeating: 0, count: 24)))
        #expect(error == .invalidHeader(path: path, reason: #"tensor "w" has 24 bytes of data but F16 [2, 3] needs 12"#))
    }

    @Test("Overlapping tensors are refused, naming both")
    func overlappingTensors() throws {
        let header = "{\(entry("a", shape: [4], offsets: (0, 16))),\(entry("b", shape: [4], offsets: (8, 24)))}"
        let (error, path) = try error(opening: safetensorsBytes(header: header, data: Array(repeating: 0, count: 24)))
        #expect(error == .invalidHeader(path: path, reason: #"tensors "a" and "b" overlap"#))
    }

    @Test("Two tensors at the same offsets are refused as overlapping")
    func aliasedTensors() throws {
        let header = "{\(entry("a", shape: [2], offsets: (0, 8))),\(entry("b", shape: [2], offsets: (0, 8)))}"
        let (error, path) = try error(opening: safetensorsBytes(header: header, data: Array(repeating: 0, count: 8)))
        #expect(error == .invalidHeader(path: path, reason: #"tensors "a" and "b" overlap"#))
    }

    @Test("Random corruption of a valid file either loads or throws a CheckpointError, never crashes")
    func fuzzCorruption() throws {
        let valid = directory.file("valid.safetensors")
        let weight = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let bias = try Tensor(shape: [3], values: [0.5, -0.5, 0])
        try SafetensorsFile.write([("conv.weight", weight), ("conv.bias", bias)], metadata: ["arch": "tiny"], to: valid)
        let base = try [UInt8](Data(contentsOf: valid))
        let headerEnd = 8 + Int(base[0]) + Int(base[1]) << 8

        var random = SplitMix64(seed: 0xEC6_1E45)
        var loaded = 0
        var refused = 0
        for iteration in 0 ..< 2000 {
            var bytes = base
            // By turns: corrupt the length and header, corrupt the data, truncate, or both of the first and third.
            let mode = iteration % 4
            if mode != 2 {
                let region = mode == 1 ? headerEnd ..< bytes.count : 0 ..< headerEnd
                for _ in 0 ... Int.random(in: 0 ..< 4, using: &random) {
                    let position = Int.random(in: region, using: &random)
                    bytes[position] = Bool.random(using: &random)
                        ? bytes[position] ^ UInt8(1 << Int.random(in: 0 ..< 8, using: &random))
                        : UInt8.random(in: 0 ... 255, using: &random)
                }
            }
            if mode >= 2 {
                bytes.removeLast(Int.random(in: 0 ... bytes.count, using: &random))
            }
            // Each file is released at the end of its iteration, before the next one overwrites it.
            let url = try directory.write(bytes, to: "fuzz.safetensors")
            do {
                let file = try SafetensorsFile(contentsOf: url, strategy: iteration % 8 < 4 ? .memoryMap : .read)
                for name in file.names where file.info(name).map({ [.f32, .f16, .bf16].contains($0.dtype) }) == true {
                    _ = try file.tensor(name)
                }
                loaded += 1
            } catch {
                #expect(error.path == url.relativePath)
                refused += 1
            }
        }
        #expect(loaded > 0)
        #expect(refused > 0)
        #expect(loaded + refused == 2000)
    }
}
