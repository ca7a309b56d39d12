import Foundation
import Models
import Testing
@testable import Training

/// Training-step speed per architecture at batch 8 (opt-in, `ECG_BENCH_TRAINING=1`; meaningful
/// only in a release build on a quiet machine: `swift test -c release --filter TrainingStepBenchmark`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ECG_BENCH_TRAINING"] != nil))
struct TrainingStepBenchmark {
    @Test func trainingStepsPerArchitecture() throws {
        let names = ProcessInfo.processInfo.environment["ECG_BENCH_TRAINING"] ?? ""
        let chosen = Architecture.allCases.filter { names == "1" || names.contains($0.rawValue) }
        for architecture in chosen {
            let timing = try TrainingStepTiming.measure(architecture, batch: 8, steps: 3)
            print(String(format: "%@ batch 8: %.3f s/step, %.1f images/s", architecture.rawValue,
                         timing.medianSeconds, timing.imagesPerSecond))
            #expect(timing.medianSeconds > 0)
        }
    }
}
