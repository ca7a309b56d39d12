import Foundation
import Testing

/// `Package.swift` states the real import graph. SwiftPM's own check
/// (`--explicit-target-dependency-import-check error`, in scripts/test.sh) only rejects a module
/// that is not reachable at all; this test also rejects one reached only through another
/// dependency, and a declared dependency that nothing imports.
@Suite("Module boundaries")
struct ModuleBoundaryTests {
    @Test("Every target declares exactly the package modules its sources import")
    func importsMatchTheManifest() throws {
        let manifest = try String(contentsOf: repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declared = Self.dependencies(in: manifest)
        #expect(declared.keys.contains("Server") && declared.keys.contains("KernelTests"), "parsed \(declared.keys.sorted())")
        // Package targets and products; system modules (Foundation, Glibc, Testing, …) are not declared.
        let known = Set(declared.keys).union(declared.values.flatMap { $0 })
        for (target, dependencies) in declared {
            let imports = try Self.imports(of: target).intersection(known)
            let undeclared = imports.subtracting(dependencies)
            #expect(undeclared.isEmpty, "\(target) imports \(undeclared.sorted()) without declaring them in Package.swift")
            let unused = dependencies.subtracting(imports)
            #expect(unused.isEmpty, "\(target) declares \(unused.sorted()) in Package.swift but imports none of it")
        }
    }

    @Test("The manifest parser reads top-level targets, product and conditional dependencies, and import lines")
    func parserCatchesATransitiveImport() throws {
        let manifest = """
            .target(name: "Low"),
            .target(name: "Mid", dependencies: ["Low"]),
            .target(
                name: "High",
                dependencies: ["Mid", .product(name: "Logging", package: "swift-log"), .target(name: "CLib", condition: .when(platforms: [.linux]))]
            ),
            """
        let declared = Self.dependencies(in: manifest)
        #expect(declared == ["Low": [], "Mid": ["Low"], "High": ["Mid", "Logging", "CLib"]])
        #expect(Self.importedModules(in: "import Foundation\n@testable import Low\n#if canImport(CLib)\nimport CLib\n#endif\n")
            == ["Foundation", "Low", "CLib"])
    }

    /// Each target's declared dependencies (targets and products), by target name. A target starts
    /// a line (`.target(name: …`); one inside a dependency list (`.target(name: "COpenBLAS", …)`) is a dependency.
    static func dependencies(in manifest: String) -> [String: Set<String>] {
        let text = manifest as NSString
        let targetPattern = try! NSRegularExpression(pattern: #"^\s*\.(?:target|executableTarget|testTarget)\(\s*name:\s*"(\w+)""#, options: .anchorsMatchLines)
        let namePattern = try! NSRegularExpression(pattern: #"(?<!package: )"([A-Za-z]\w*)""#)
        let matches = targetPattern.matches(in: manifest, range: NSRange(location: 0, length: text.length))
        var result: [String: Set<String>] = [:]
        for (index, match) in matches.enumerated() {
            let end = index + 1 < matches.count ? matches[index + 1].range.location : text.length
            let segment = text.substring(with: NSRange(location: match.range.upperBound, length: end - match.range.upperBound))
            var names: Set<String> = []
            if let start = segment.range(of: "dependencies: [") {
                var depth = 1
                var cursor = start.upperBound
                while cursor < segment.endIndex, depth > 0 {
                    if segment[cursor] == "[" { depth += 1 } else if segment[cursor] == "]" { depth -= 1 }
                    cursor = segment.index(after: cursor)
                }
                let list = String(segment[start.upperBound..<cursor])
                for found in namePattern.matches(in: list, range: NSRange(location: 0, length: (list as NSString).length)) {
                    names.insert((list as NSString).substring(with: found.range(at: 1)))
                }
            }
            result[text.substring(with: match.range(at: 1))] = names
        }
        return result
    }

    /// The modules imported anywhere in a target's folder (`Sources/NAME` or `Tests/NAME`).
    static func imports(of target: String) throws -> Set<String> {
        let folder = ["Sources", "Tests"].map { repositoryRoot.appendingPathComponent("\($0)/\(target)") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
        guard let folder, let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var modules: Set<String> = []
        for case let file as URL in files where file.pathExtension == "swift" {
            modules.formUnion(importedModules(in: try String(contentsOf: file, encoding: .utf8)))
        }
        return modules
    }

    /// The modules named by `import` lines (attributes such as `@testable` allowed).
    static func importedModules(in source: String) -> [String] {
        let pattern = try! NSRegularExpression(
            pattern: #"^\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?(\w+)"#,
            options: .anchorsMatchLines)
        return pattern.matches(in: source, range: NSRange(location: 0, length: (source as NSString).length))
            .map { (source as NSString).substring(with: $0.range(at: 1)) }
    }
}
