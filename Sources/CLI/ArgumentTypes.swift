import ArgumentParser
import ImageIO
import Kernels
import Models
import Training

// The enumerations the commands take as options, parsed (and listed in `--help` and in usage
// errors) by ArgumentParser itself, so no command checks a string by hand and force-unwraps it.

extension Architecture: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Preprocessing: ExpressibleByArgument {}
extension ResizeFilter: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

/// A comma-separated list of architectures (`small_cnn,vgg16`), as the benchmarks take them.
struct ArchitectureList: ExpressibleByArgument {
    let architectures: [Architecture]

    init(_ architectures: [Architecture]) { self.architectures = architectures }

    init?(argument: String) {
        let parsed = argument.split(separator: ",").map { Architecture(rawValue: String($0)) }
        guard !parsed.isEmpty, !parsed.contains(where: { $0 == nil }) else { return nil }
        architectures = parsed.compactMap { $0 }
    }

    var defaultValueDescription: String { architectures.map(\.rawValue).joined(separator: ",") }

    static var allValueStrings: [String] { Architecture.allCases.map(\.rawValue) }

    /// Every architecture.
    static let all = ArchitectureList(Architecture.allCases)
}
