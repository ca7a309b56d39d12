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
                let status = ModelStatus(entry: entry, registry: registry)
                let marker = entry.key == registry.defaultKey ? "*" : " "
                let input = entry.inputSize ?? entry.architecture.defaultInputSize
                let preprocessing = entry.preprocessing?.rawValue ?? entry.architecture.defaultPreprocessing
                print("\(marker) \(entry.key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(entry.architecture.displayName.padding(toLength: 12, withPad: " ", startingAt: 0)) \(input)x\(input) \(preprocessing.padding(toLength: 9, withPad: " ", startingAt: 0)) \(status)")
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
