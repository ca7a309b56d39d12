import ArgumentParser
import Foundation
import Inference

/// Where the model registry is, shared by every command that uses models.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("models"), help: ArgumentHelp(
        "The model registry file.", discussion: "Defaults to $ECG_MODELS, else models/models.json.",
        valueName: "file"))
    var registryPath: String?

    /// The registry file's path.
    var path: String { registryPath ?? ProcessInfo.processInfo.environment["ECG_MODELS"] ?? "models/models.json" }

    /// Reads the registry, or fails with a one-line message (not a usage error: the arguments
    /// were fine, the file is not).
    func registry() throws -> ModelRegistry {
        try failingCleanly { try ModelRegistry(contentsOf: URL(fileURLWithPath: path)) }
    }
}

/// Runs `body`, turning any error into a one-line message on standard error and exit code 1.
func failingCleanly<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
