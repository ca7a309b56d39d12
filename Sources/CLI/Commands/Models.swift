import ArgumentParser
import Foundation
import Inference

extension ECG {
    /// `ecg models`: the registry and each model's status.
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the models in the registry and whether each is ready.")

        @OptionGroup var registryOptions: RegistryOptions

        func run() throws {
            let registry = try registryOptions.registry()
            for entry in registry.entries {
                // The input its classifier will use: entry, then weights metadata, then the architecture's default.
                let model = ResolvedModel(entry: entry, registry: registry)
                let status = model.status, input = model.input
                let marker = entry.key == registry.defaultKey ? "*" : " "
                let size = "\(input.inputSize)x\(input.inputSize)\(input.crop == nil ? "" : " crop")".padding(toLength: 12, withPad: " ", startingAt: 0)
                print("\(marker) \(entry.key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(entry.architecture.displayName.padding(toLength: 12, withPad: " ", startingAt: 0)) \(size) \(input.preprocessing.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(status)")
                switch status {
                case .ready(trained: false, _), .notInstalled:
                    print("    to train it: \(entry.train ?? "see its model card")")
                default: break
                }
            }
            print("(* default model)")
        }
    }
}
