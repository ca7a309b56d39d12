import ArgumentParser
import Inference
import Tensors

/// `ecg`: classify 12-lead ECG report images with one of four CNNs.
@main
struct ECG: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecg",
        abstract: "Classify 12-lead ECG report images with MobileNetV2, a small CNN, InceptionV3 or VGG16.",
        discussion: """
            Classes: Abnormal heartbeat, History of myocardial infarction, Myocardial infarction, Normal.
            Research and teaching use only: ECGLens is not a medical device.
            """,
        version: "0.1.0",
        subcommands: [Predict.self, Explain.self, MergeResults.self, Models.self, InitWeights.self, Bench.self, Evaluate.self, Calibrate.self, CalibrateInt8.self, FitGate.self, Features.self, CrossValidate.self, FitHead.self, FitFusion.self, Import.self, Synth.self, Digitise.self, Split.self, Audit.self, Train.self, Serve.self, GateReport.self]
    )

    /// Sets up the allocator (`configureAllocator`) on the main thread before any other thread
    /// starts and picks its malloc arena, then parses and runs the command as ArgumentParser does.
    static func main() async {
        configureAllocator()
        await main(nil)
    }
}

/// The research-use notice shown wherever results show.
let researchNotice = Inference.researchNotice
