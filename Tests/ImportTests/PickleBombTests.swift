import Dispatch
import Foundation
import Models
import Testing
@testable import WeightImport

#if canImport(Glibc)
import Glibc
#endif

/// The attacks of issue 17 on `ecg import`, each built here: pickles whose values share
/// children (exponential when walked as trees) and a FIFO as the weights file.
@Suite struct PickleBombTests {
    /// `N`, then `levels` x `DUP TUPLE2`: 2^levels leaves in a few bytes.
    static func tupleBomb(levels: Int) -> [UInt8] {
        [0x80, 0x02, 0x4E] + Array([[UInt8]](repeating: [0x32, 0x86], count: levels).joined()) + [0x2E]
    }

    /// A pickled module tree `levels` deep whose every module names one child twice
    /// (`_modules = {"a": child, "b": child}`), as `torch.save` writes modules sharing a child.
    static func sharedModules(levels: Int) -> [UInt8] {
        func text(_ value: String) -> [UInt8] { [0x8C, UInt8(value.utf8.count)] + Array(value.utf8) }
        let module = Array("ctorch.nn.modules.container\nSequential\n".utf8) + [0x29, 0x81]  // GLOBAL, (), NEWOBJ
        var bytes: [UInt8] = [0x80, 0x02]
        // The leaf: a module with empty state, memoised as 0.
        bytes += module + [0x7D, 0x62, 0x71, 0, 0x30]  // {} BUILD, BINPUT 0, POP
        for level in 1...levels {
            bytes += module + [0x7D] + text("_modules") + [0x7D, 0x28]  // state {}, "_modules", {}, MARK
            bytes += text("a") + [0x68, UInt8(level - 1)] + text("b") + [0x68, UInt8(level - 1)]  // BINGET child twice
            bytes += [0x75, 0x73, 0x62, 0x71, UInt8(level), 0x30]  // SETITEMS, SETITEM, BUILD, BINPUT, POP
        }
        return bytes + [0x68, UInt8(levels), 0x2E]  // BINGET top, STOP
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now()
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    @Test func fortyFiveDuplicatedTuplesUnpickleAtOnce() throws {
        let pickle = Self.tupleBomb(levels: 45)
        var depth = 0
        let elapsed = try Self.seconds {
            depth = try pickle.withUnsafeBytes { try RestrictedUnpickler.load($0, path: "bomb.pkl") }.value.depth
        }
        #expect(depth == 45)
        #expect(elapsed < 0.5, "took \(elapsed) s")
    }

    @Test func theLegacyTupleBombIsRefusedNamingTheFileAtOnce() throws {
        // The 237-byte legacy .pth of issue 17: the magic number, then the bomb as the protocol version.
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try write(TorchCheckpoint.legacyMagic + Self.tupleBomb(levels: 45), "bomb.pth", in: folder)
        let elapsed = Self.seconds {
            #expect(throws: WeightImportError.unsupported(path: url.path, feature: "torch.save protocol a tuple of 2 items")) {
                _ = try openWeights(url, architecture: .vgg16)
            }
        }
        #expect(elapsed < 0.5, "took \(elapsed) s")
    }

    @Test func aTupleBombAsDataIsRefusedAtOnce() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try HostileFileTests.torchArchive(Self.tupleBomb(levels: 45), in: folder)
        let elapsed = Self.seconds {
            #expect(throws: WeightImportError.unsupported(path: url.path, feature: "the pickle holds neither a state_dict nor a module")) {
                _ = try openWeights(url, architecture: .vgg16)
            }
        }
        #expect(elapsed < 0.5, "took \(elapsed) s")
    }

    @Test func modulesSharingChildrenStopAtTheWalkBudget() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 2^24 paths through the tree: the walk budget stops it.
        let url = try HostileFileTests.torchArchive(Self.sharedModules(levels: 24), in: folder)
        let elapsed = Self.seconds {
            #expect(throws: WeightImportError.tooLarge(
                path: url.path, what: "module tree walk (shared sub-modules?)", limit: TorchCheckpoint.walkBudget)) {
                _ = try openWeights(url, architecture: .vgg16)
            }
        }
        #expect(elapsed < 2, "took \(elapsed) s")
        // A few shared levels are walked in full (and hold none of VGG16's parameters).
        let small = try HostileFileTests.torchArchive(Self.sharedModules(levels: 3), in: folder)
        #expect(throws: WeightImportError.architectureMismatch(path: small.path, reason: "holds none of vgg16's parameters")) {
            _ = try openWeights(small, architecture: .vgg16)
        }
    }

    @Test func aFIFOAsTheWeightsFileIsRefusedWithoutWaiting() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("weights.pth").path
        #expect(mkfifo(path, 0o600) == 0)
        let elapsed = Self.seconds {
            #expect {
                _ = try openWeights(URL(fileURLWithPath: path), architecture: .vgg16)
            } throws: { error in
                "\(error)".contains("not a regular file")
            }
        }
        #expect(elapsed < 1, "took \(elapsed) s")
    }
}
