import Foundation
import Models
import Testing
@testable import WeightImport

/// Malformed, hostile and mismatched files each give a specific error.
@Suite struct HostileFileTests {
    /// A torch.save archive holding `pickle` as its data.pkl.
    static func torchArchive(_ pickle: [UInt8], in folder: URL) throws -> URL {
        var zip = ZipWriter()
        zip.add("archive/data.pkl", pickle)
        zip.add("archive/byteorder", Array("little".utf8))
        return try write(zip.bytes, "hostile.pth", in: folder)
    }

    /// `cos\nsystem\n` + ("echo pwned",) + REDUCE: what a malicious `__reduce__` pickles.
    static let osSystem: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 10, 0, 0, 0] + Array("echo pwned".utf8)
        + [0x85, 0x52, 0x2E]

    @Test func aPickleCallingOsSystemIsRefusedNamingTheGlobal() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Self.torchArchive(Self.osSystem, in: folder)
        #expect(throws: WeightImportError.refused(path: url.path, reason: "the pickle imports os.system, which is not on the allow-list")) {
            _ = try openWeights(url, architecture: .vgg16)
        }
    }

    @Test(arguments: [
        // STACK_GLOBAL builtins.eval
        [0x80, 0x04, 0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93, 0x2E],
        // GLOBAL subprocess.Popen
        [0x80, 0x02] + Array("csubprocess\nPopen\n".utf8) + [0x2E],
        // A module class called through REDUCE instead of rebuilt inertly
        [0x80, 0x02] + Array("ctorch.nn.modules.linear\nLinear\n".utf8) + [0x29, 0x52, 0x2E],
        // INST and OBJ, which call their class
        Array("(ios\nsystem\n.".utf8), [0x80, 0x02, 0x28] + Array("cos\nsystem\n".utf8) + [0x6F, 0x2E],
    ] as [[UInt8]])
    func everyOtherWayOfCallingCodeIsRefused(_ pickle: [UInt8]) {
        #expect {
            _ = try pickle.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "x") }
        } throws: { error in
            if case .refused? = error as? WeightImportError { return true }
            return false
        }
    }

    @Test(arguments: [
        [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x61],  // a 2 GB string in an 8-byte pickle
        [0x80, 0x02, 0x68, 5, 0x2E],                         // an undefined memo entry
        [0x80, 0x02, 0x31, 0x2E],                            // POP_MARK without MARK
        [0x80, 0x02, 0x4E, 0x4E, 0x2E],                      // two values at STOP
        [0x80, 0x02, 0x4E],                                  // no STOP
    ] as [[UInt8]])
    func damagedPicklesAreMalformedOrTruncated(_ pickle: [UInt8]) {
        #expect {
            _ = try pickle.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "x") }
        } throws: { error in
            switch error as? WeightImportError {
            case .malformed?, .truncated?: true
            default: false
            }
        }
    }

    @Test(arguments: [
        [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E],                          // ((((),),),)…
        [0x80, 0x02] + [UInt8](repeating: 0x5D, count: 500_000) + [UInt8](repeating: 0x61, count: 499_999) + [0x2E],  // [[[…]]]
    ] as [[UInt8]])
    func deeplyNestedPicklesAreRefusedBeforeTheyCanExhaustTheStack(_ pickle: [UInt8]) {
        #expect(throws: WeightImportError.tooLarge(path: "x", what: "pickle nesting depth", limit: RestrictedUnpickler.maxNesting)) {
            _ = try pickle.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "x") }
        }
    }

    @Test func aContainerChangedAfterNestingIsRefused() {
        // L = []; L.append(L): a self-reference, then another append to the nested list.
        let pickle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x4E, 0x61, 0x2E]
        #expect {
            _ = try pickle.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "x") }
        } throws: { error in
            if case .unsupported? = error as? WeightImportError { return true }
            return false
        }
    }

    @Test func aZipBombIsRefusedBeforeInflating() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var zip = ZipWriter()
        zip.members.append(.init(name: "archive/data.pkl", data: [UInt8](repeating: 0, count: 1000), method: 8, declaredSize: 1 << 30))
        let url = try write(zip.bytes, "bomb.pth", in: folder)
        #expect {
            _ = try openWeights(url, architecture: .vgg16)
        } throws: { error in
            guard case let .tooLarge(_, what, _)? = error as? WeightImportError else { return false }
            return what.contains("zip bomb")
        }
    }

    @Test func aDeflatedMemberLargerThanDeclaredIsRefused() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // One stored deflate block of 10 bytes, declared as 4.
        let payload: [UInt8] = Array("0123456789".utf8)
        var zip = ZipWriter()
        zip.members.append(.init(name: "archive/data.pkl", data: [0x01, 10, 0, 0xF5, 0xFF] + payload, method: 8, declaredSize: 4))
        let url = try write(zip.bytes, "liar.pth", in: folder)
        #expect(throws: WeightImportError.malformed(path: url.path, reason: "zip member archive/data.pkl inflates past its declared size")) {
            _ = try openWeights(url, architecture: .vgg16)
        }
    }

    @Test func anOversizedKerasConfigIsRefused() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var zip = ZipWriter()
        zip.members.append(.init(name: "config.json", data: [UInt8](repeating: 0x20, count: 64), declaredSize: 64 << 20))
        zip.add("model.weights.h5", [])
        let url = try write(zip.bytes, "big.keras", in: folder)
        #expect(throws: WeightImportError.tooLarge(path: url.path, what: "the size of config.json", limit: KerasArchive.maxConfigSize)) {
            _ = try openWeights(url, architecture: .smallCNN)
        }
    }

    @Test func deeplyNestedConfigJSONIsRefusedBeforeParsing() throws {
        #expect(throws: WeightImportError.self) {
            _ = try KerasConfig(Data(repeating: UInt8(ascii: "["), count: 100_000), path: "x")
        }
    }

    @Test func aCorruptedMemberFailsItsCRC() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var zip = ZipWriter()
        zip.members.append(.init(name: "archive/data.pkl", data: [0x80, 0x02, 0x4E, 0x2E], crc: 1234))
        let url = try write(zip.bytes, "crc.pth", in: folder)
        #expect(throws: WeightImportError.malformed(path: url.path, reason: "zip member archive/data.pkl fails its CRC check")) {
            _ = try openWeights(url, architecture: .vgg16)
        }
    }

    @Test func truncatedFilesSayTheyAreTruncated() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["small_cnn_64.weights.h5", "small_cnn_64.keras", "vgg16_state_dict.pth"] {
            let bytes = try [UInt8](Data(contentsOf: Fixtures.url(name)))
            let url = try write(Array(bytes.prefix(bytes.count / 2)), name, in: folder)
            let architecture: Architecture = name.hasPrefix("vgg") ? .vgg16 : .smallCNN
            #expect(performing: {
                let weights = try openWeights(url, architecture: architecture, inputSize: 64)
                _ = try architecture.parameters(from: weights, classes: 4, inputSize: 64)
            }, throws: { error in
                switch error as? WeightImportError {
                case .truncated?: true
                default: false
                }
            })
        }
    }

    @Test func aLegacyTorchFileCutAfterItsMagicNumberIsTruncatedAndOtherFilesUnsupported() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let legacy = try write(TorchCheckpoint.legacyMagic, "old.pth", in: folder)
        #expect(throws: WeightImportError.truncated(path: legacy.path, what: "a pickle opcode")) {
            _ = try openWeights(legacy, architecture: .vgg16)
        }
        let text = try write(Array("hello".utf8), "notes.h5", in: folder)
        #expect(throws: WeightImportError.unsupported(path: text.path, feature: "not a Keras (.keras, .h5) or PyTorch (.pth) weights file")) {
            _ = try openWeights(text, architecture: .smallCNN)
        }
    }
}

/// Files for another model are refused with what differs.
@Suite struct MismatchTests {
    @Test func aKerasSmallCNNIsNotAMobileNetV2() throws {
        let url = Fixtures.url("small_cnn_64.keras")
        #expect(throws: WeightImportError.architectureMismatch(path: url.path, reason: "the saved model has 0 batch_normalization layers, mobilenetv2 has 52")) {
            _ = try openWeights(url, architecture: .mobileNetV2)
        }
    }

    @Test func aKerasHeadWithOtherClassesIsRefusedByItsConfig() throws {
        let url = Fixtures.url("small_cnn_64.keras")
        #expect(throws: WeightImportError.architectureMismatch(path: url.path, reason: "layer dense_1 has 4 outputs, but small_cnn's dense_1 has 3")) {
            _ = try openWeights(url, architecture: .smallCNN, classes: 3)
        }
    }

    @Test func aWrongInputSizeIsAShapeMismatchOfTheDenseLayer() throws {
        let url = Fixtures.url("small_cnn_64.weights.h5")
        let weights = try openWeights(url, architecture: .smallCNN)
        #expect(throws: WeightImportError.shapeMismatch(path: url.path, name: "dense/kernel", expected: [10368, 64], got: [512, 64])) {
            _ = try Architecture.smallCNN.parameters(from: weights, classes: 4)
        }
        // Importing says which input size the file was made for.
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect {
            try importWeights(from: url, architecture: .smallCNN, to: folder.appendingPathComponent("x.safetensors"))
        } throws: { error in
            guard case let .architectureMismatch(_, reason)? = error as? WeightImportError else { return false }
            return reason.hasPrefix("dense/kernel has shape [512, 64], made for 64–79 px inputs, not 299 px")
        }
    }

    @Test func aVGG16StateDictIsNotAnInceptionV3() throws {
        let url = Fixtures.url("vgg16_state_dict.pth")
        #expect(throws: WeightImportError.architectureMismatch(path: url.path, reason: "holds none of inceptionv3's parameters")) {
            _ = try openWeights(url, architecture: .inceptionV3)
        }
        #expect(throws: WeightImportError.architectureMismatch(path: url.path, reason: "a PyTorch file cannot hold small_cnn, a Keras architecture")) {
            _ = try openWeights(url, architecture: .smallCNN)
        }
    }

    @Test func importingIsStrictAboutMissingAndExtraParameters() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let backbone = PretrainedBackboneTests.backbone
        if let backbone {
            #expect {
                try importWeights(from: backbone, architecture: .mobileNetV2, to: folder.appendingPathComponent("x.safetensors"))
            } throws: { error in
                guard case let .architectureMismatch(_, reason)? = error as? WeightImportError else { return false }
                return reason.hasPrefix("lacks 4 of mobilenetv2's parameters (dense/kernel, dense/bias, dense_1/kernel, dense_1/bias)")
            }
        }
    }
}
