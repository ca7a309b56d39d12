import Foundation
import Tensors
import Testing
@testable import Checkpoints

@Suite("Replacing a safetensors file's metadata")
struct ReplaceMetadataTests {
    @Test("Only the header changes: every tensor's bytes, dtype, shape and offsets stay as they were")
    func tensorsBitIdentical() throws {
        let directory = try TemporaryDirectory()
        let url = directory.file("model.safetensors")
        let weight = try Tensor(shape: [3, 5], values: (0..<15).map { Float($0) * 0.731 - 2.2 })
        let bias = try Tensor(shape: [5], values: [1e-7, -3, .pi, 0, 42])
        try SafetensorsFile.write([("w", weight), ("b", bias)], metadata: ["provenance": "old", "keep": "x"], to: url, dtype: .f16)
        let before = try Data(contentsOf: url)
        let headerBefore = 8 + Int(before.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })

        try SafetensorsFile.replaceMetadata(["provenance": "new /path \"quoted\"", "temperature": "1.5"], in: url)

        let after = try Data(contentsOf: url)
        let headerAfter = 8 + Int(after.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(headerAfter % 8 == 0)
        #expect(after.subdata(in: headerAfter..<after.count) == before.subdata(in: headerBefore..<before.count))
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.metadata == ["provenance": "new /path \"quoted\"", "temperature": "1.5"])
        #expect(file.names == ["w", "b"])
        #expect(file.info("w")?.dtype == .f16 && file.info("w")?.shape == [3, 5])
    }

    @Test("A file that is not safetensors is refused, naming it, and left alone")
    func refusesBadFile() throws {
        let directory = try TemporaryDirectory()
        let url = directory.file("broken.safetensors")
        try Data("not a checkpoint".utf8).write(to: url)
        #expect { try SafetensorsFile.replaceMetadata(["a": "b"], in: url) } throws: { error in
            "\(error)".contains("broken.safetensors")
        }
        #expect(try Data(contentsOf: url) == Data("not a checkpoint".utf8))
    }
}
