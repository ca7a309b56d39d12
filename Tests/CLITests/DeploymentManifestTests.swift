import Foundation
import Testing

/// The `kubernetes-validate` tool (PyPI, with Kubernetes' JSON schemas bundled): on the PATH, or
/// in a virtual environment `venv/` in or next to the repository. Nil when it is not installed.
let kubernetesValidate: URL? = {
    let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        + [repositoryRoot.appendingPathComponent("venv/bin"), repositoryRoot.deletingLastPathComponent().appendingPathComponent("venv/bin")]
    return candidates.map { $0.appendingPathComponent("kubernetes-validate") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

/// The Kubernetes manifests in deploy/, validated offline against the API's schemas.
@Suite("Kubernetes manifests")
struct DeploymentManifestTests {
    let manifests = ["web.yaml", "batch-job.yaml", "merge-job.yaml"].map { repositoryRoot.appendingPathComponent("deploy/\($0)") }

    /// Runs kubernetes-validate --strict on `files`; returns its exit status and output.
    func validate(_ files: [URL]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = kubernetesValidate
        process.arguments = ["--strict"] + files.map(\.path)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)")
        try Data().write(to: output)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    @Test("Every manifest validates strictly against the Kubernetes schemas", .enabled(
        if: kubernetesValidate != nil, "kubernetes-validate is not installed (pip install kubernetes-validate): skipped"))
    func manifestsValidate() throws {
        let (status, output) = try validate(manifests)
        #expect(status == 0, "\(output)")
        for kind in ["deployment/ecglens-web", "service/ecglens-web", "horizontalpodautoscaler/ecglens-web",
                     "job/ecglens-score", "job/ecglens-merge"] {
            #expect(output.contains("passed for resource \(kind)"), "\(kind) was not checked: \(output)")
        }
    }

    @Test("The validator rejects a misspelt field, so a pass means something", .enabled(
        if: kubernetesValidate != nil, "kubernetes-validate is not installed (pip install kubernetes-validate): skipped"))
    func validatorRejectsMistakes() throws {
        try withTemporaryDirectory { directory in
            let job = try String(contentsOf: manifests[1], encoding: .utf8)
            let broken = try write(job.replacingOccurrences(of: "completionMode: Indexed", with: "completionMod: Indexed"),
                                   to: "broken.yaml", in: directory)
            let (status, output) = try validate([broken])
            #expect(status != 0 && output.contains("completionMod"), "\(output)")
        }
    }

    @Test("The Indexed Job passes ecg predict only options it has, and the shard count it reads")
    func jobUsesRealOptions() throws {
        let job = try String(contentsOf: manifests[1], encoding: .utf8)
        #expect(job.contains("completionMode: Indexed"))
        let options = job.split(separator: "\n").compactMap { line -> String? in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("- --") else { return nil }
            return String(text.dropFirst(2).prefix { $0 != "=" })
        }
        #expect(options.count >= 4)
        // `completions` and the shard count must agree.
        let completions = job.split(separator: "\n").first { $0.contains("completions:") }?.split(separator: ":").last
            .map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(job.contains("{name: ECG_SHARD_COUNT, value: \"\(completions ?? "?")\"}"))
        guard ecgExecutable != nil else { return }
        let help = try runECG(["predict", "--help"]).stdout
        for option in options { #expect(help.contains(option), "ecg predict has no \(option)") }
        #expect(help.contains("ECG_SHARD_COUNT") && help.contains("JOB_COMPLETION_INDEX"))
    }
}
