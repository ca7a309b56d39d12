import Foundation
import Models
import NN
import Testing
@testable import WeightImport

/// A checkpoint laid out like torchvision's `inception_v3_google-0cc3c7bd.pth` (legacy format,
/// 1000-class heads) starts training: its backbone loads, its heads are replaced.
@Suite struct ImageNetLayoutTests {
    static let name = "inceptionv3_imagenet_layout_legacy.pth"

    @Test func theBackboneLoadsAndTheHeadsComeFromTheFallback() throws {
        let url = Fixtures.url(Self.name)
        let weights = try openWeights(url, architecture: .inceptionV3)
        let source = FallbackParameterSource(imported: weights, fallback: RandomParameterSource(seed: 3))
        let parameters = try Architecture.inceptionV3.parameters(from: source, classes: 4)
        // fc is a 2048-512-4 Sequential in the app and a 1000-class Linear in torchvision; the
        // auxiliary fc is there but has 1000 outputs.
        #expect(Set(source.fallbackNames) == ["fc.0.weight", "fc.0.bias", "fc.3.weight", "fc.3.bias", "AuxLogits.fc.weight", "AuxLogits.fc.bias"])
        #expect(parameters.count - source.fallbackNames.count == weights.names.count - 2)

        let golden = try #require(Golden.all[Self.name]?.checks)
        for (name, check) in golden {
            let tensor = try #require(parameters.first { $0.name == name }?.tensor)
            #expect(Array(tensor.scalars.prefix(3)) == check.first, "\(name)")
            #expect(abs(tensor.scalars.reduce(0) { $0 + Double($1) } - check.sum) <= 1e-6 * max(1, abs(check.sum)), "\(name)")
        }
    }

    @Test func aStrictImportRefusesItSayingWhatIsMissing() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect {
            try importWeights(from: Fixtures.url(Self.name), architecture: .inceptionV3, to: folder.appendingPathComponent("x.safetensors"))
        } throws: { error in
            guard case let .architectureMismatch(_, reason)? = error as? WeightImportError else { return false }
            return reason.hasPrefix("lacks 4 of inceptionv3's parameters (fc.0.weight, fc.0.bias, fc.3.weight, fc.3.bias)")
        }
    }
}
