import ArgumentParser
import Checkpoints
import Datasets
import Foundation
import ImageIO
import Models
import NN
import Training
import WeightImport

extension ECG {
    /// `ecg train ARCH --data DIR [...]`: train one of the four architectures on a folder of images.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model on a folder of ECG images (one sub-folder per class).",
            discussion: """
                DIR holds one folder per class, or train/ and validation/ folders as `ecg split` writes them \
                (then validation/ validates unless --val names another folder). Each epoch is validated; the weights of the \
                epoch with the lowest validation loss are saved to --out (with the recipe, the command and the \
                data's fingerprint in their metadata) and kept at the end.

                Recipes: `scratch` trains every parameter for --epochs. `finetune` (the default with --init) \
                trains the classifier head on the frozen backbone for --epochs, then unfreezes the top blocks \
                for --fine-tune-epochs at --fine-tune-lr (MobileNetV2: blocks 13-16 and Conv_1; InceptionV3: \
                Mixed_7a-c; VGG16: the last three convolutions). InceptionV3's auxiliary head adds 0.4 times \
                its loss. Class weights balance the classes unless --no-class-weights.

                --benchmark times training steps on random data instead (no --data needed); \
                tools/bench/train_compare.py runs it next to PyTorch. \(researchNotice)
                """)

        @Argument(help: ArgumentHelp("Architecture: small_cnn, mobilenetv2, inceptionv3 or vgg16.", valueName: "arch"))
        var architecture: Architecture?

        @Option(help: ArgumentHelp("Training images: one folder per class, or train/ and validation/ folders.", valueName: "dir"))
        var data: String?

        @Option(help: ArgumentHelp("Validation images, one folder per class.", valueName: "dir"))
        var val: String?

        @Option(help: "Epochs of the first phase (the whole run for `scratch`, the head for `finetune`; 0 skips the head).")
        var epochs = 15

        @Option(help: "Epochs with the top blocks unfrozen (`finetune` only; 0 skips the phase).")
        var fineTuneEpochs = 10

        @Option(help: "Images per training step.")
        var batchSize = 16

        @Option(help: "Learning rate of the first phase.")
        var lr: Float = 1e-3

        @Option(help: "Learning rate of the fine-tuning phase (default: --lr / 10).")
        var fineTuneLr: Float?

        @Option(help: "adam (AdamW, decoupled weight decay) or sgd (momentum 0.9).")
        var optimizer: OptimizerKind = .adam

        @Option(help: "Weight decay of kernels (AdamW's decoupled decay, SGD's L2).")
        var weightDecay: Float = 1e-4

        @Option(help: "Stop a phase after this many epochs without a better validation loss (0: never).")
        var patience = 5

        @Flag(help: "Train and validate on each distinct file once (copies by SHA-256 dropped): shorter epochs, class weights from distinct counts.")
        var distinct = false

        @Option(help: "Halve the learning rate after this many epochs without a better validation loss (0: keep it constant).")
        var lrPatience = 2

        @Option(help: ArgumentHelp("scratch or finetune (default: finetune with --init, else scratch).", valueName: "name"))
        var recipe: RecipeName?

        @Option(help: ArgumentHelp("Where to write the trained weights (default models/weights/ARCH.safetensors).", valueName: "file"))
        var out: String?

        @Flag(help: "Store the weights as 16-bit floats (half the size).")
        var fp16 = false

        @Option(name: .customLong("init"), help: ArgumentHelp(
            "Start from these weights: ECGLens .safetensors, Keras .keras/.h5, or PyTorch .pth; parameters the file lacks (a new head) start random.",
            valueName: "file"))
        var initialWeights: String?

        @OptionGroup var cropOptions: CropOptions

        @Option(help: "Input side in pixels (default: the architecture's).")
        var inputSize: Int?

        @Option(help: "Preprocessing: rescale, imagenet or standard (default: the architecture's).")
        var preprocessing: Preprocessing?

        @Flag(help: ArgumentHelp(
            "Augment training pages: small rotation, zoom, shift, brightness and contrast, blur, JPEG noise.",
            discussion: "Never flips: a mirrored ECG is a different ECG."))
        var augment = false

        @Flag(help: "Weigh every class 1 instead of balancing them.")
        var noClassWeights = false

        @Option(help: "Random seed: shuffling, augmentation, dropout and new parameters.")
        var seed: UInt64 = 0

        @Option(help: ArgumentHelp("Write one JSON line per epoch and split to this file.", valueName: "file.jsonl"))
        var log: String?

        @OptionGroup var benchmarkOptions: TrainBenchmarkOptions

        func validate() throws {
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            if benchmarkOptions.benchmark { return try benchmarkOptions.validate() }
            guard architecture != nil else { throw ValidationError("name an architecture (or pass --benchmark)") }
            guard data != nil else { throw ValidationError("--data is required") }
            guard epochs >= 0, fineTuneEpochs >= 0, patience >= 0, lrPatience >= 0, epochs + (recipe == .scratch ? 0 : fineTuneEpochs) > 0 else {
                throw ValidationError("--epochs, --fine-tune-epochs, --patience and --lr-patience must not be negative, and some epochs must run")
            }
            guard lr > 0, (fineTuneLr ?? 1) > 0, weightDecay >= 0 else { throw ValidationError("learning rates must be positive") }
            if let inputSize, !(32 ... 1024).contains(inputSize) { throw ValidationError("--input-size must be 32-1024") }
        }

        func run() throws {
            if benchmarkOptions.benchmark { return try failingCleanly { try benchmarkOptions.run(batch: batchSize) } }
            try failingCleanly { try train() }
        }

        private func train() throws {
            guard let architecture else { return }  // validate() requires it
            let folders = try dataFolders()
            let trainSet = try ImageFolder(directory: folders.train).distinctFiles(if: distinct)
            let validationSet = try folders.validation.map {
                try ImageFolder(directory: $0, classes: trainSet.classes).distinctFiles(if: distinct)
            }
            let transform = architecture.inputSpec(
                InputSpec.Overrides(inputSize: inputSize, preprocessing: preprocessing, crop: cropOptions.box))
            let recipe = makeRecipe(architecture)

            let network = try makeTrainableNetwork(
                architecture, classes: trainSet.classes.count, inputSize: transform.inputSize,
                options: NetworkOptions(), parameters: try parameterSource(architecture, transform: transform))
            let trainBatches = BatchLoader(files: trainSet.files, transform: transform,
                                           augmentation: augment ? .ecg : .none, batchSize: batchSize, shuffle: true, seed: seed)
            let validationBatches = validationSet.map {
                BatchLoader(files: $0.files, transform: transform, batchSize: batchSize, shuffle: false, seed: seed)
            }

            let outURL = URL(fileURLWithPath: out ?? "models/weights/\(architecture.rawValue).safetensors")
            try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            let metadata = WeightsMetadata(
                architecture: architecture, classes: trainSet.classes, input: transform,
                provenance: provenance(recipe, trainSet: trainSet, validationSet: validationSet), trained: true)
            let classWeights = noClassWeights ? nil : ClassWeights.balanced(counts: trainSet.classCounts)

            let trainer = Trainer(network: network, recipe: recipe, classWeights: classWeights, seed: seed)
            trainer.validatesInitialWeights = initialWeights != nil
            let logFile = try log.map { try TrainingLog(url: URL(fileURLWithPath: $0)) }
            var progress = TrainingProgress()
            trainer.saveBest = { try network.saveWeights(to: outURL, metadata: metadata, dtype: fp16 ? .f16 : .f32) }
            trainer.onEvent = { event in
                progress.show(event)
                if case let .epochFinished(record) = event { try? logFile?.append(record) }
            }
            note("training \(architecture.displayName) on \(trainSet.files.count) images (\(trainSet.classCounts.map(String.init).joined(separator: "/")) per class)"
                 + (validationSet.map { ", validating on \($0.files.count)" } ?? ", no validation set")
                 + "; recipe \(recipe.name), batch \(batchSize), input \(transform.inputSize)\(transform.crop.map { " cropped to \($0)" } ?? "")")
            let summary = try trainer.run(train: trainBatches, validation: validationBatches)
            let best = summary.bestValidationLoss.map { String(format: ", validation loss %.4f", $0) } ?? ""
            print("saved epoch \(summary.bestEpoch)'s weights\(best) to \(outURL.path) after \(Int(summary.elapsedSeconds)) s")
        }

        /// The training folder and the validation folder, if any.
        private func dataFolders() throws -> (train: URL, validation: URL?) {
            let root = URL(fileURLWithPath: data!)
            let split = root.appendingPathComponent("train")
            var isFolder: ObjCBool = false
            let hasSplit = FileManager.default.fileExists(atPath: split.path, isDirectory: &isFolder) && isFolder.boolValue
            let train = hasSplit ? split : root
            let splitValidation = ["validation", "val"].map { root.appendingPathComponent($0) }
                .first { hasSplit && FileManager.default.fileExists(atPath: $0.path) }
            let validation = val.map { URL(fileURLWithPath: $0) } ?? splitValidation
            return (train, validation)
        }

        private func makeRecipe(_ architecture: Architecture) -> Recipe {
            var recipe = (recipe ?? (initialWeights == nil ? .scratch : .finetune)) == .scratch
                ? Recipe.scratch(architecture, epochs: epochs, learningRate: lr)
                : Recipe.fineTune(architecture, headEpochs: epochs, fineTuneEpochs: fineTuneEpochs, learningRate: lr,
                                  fineTuneLearningRate: fineTuneLr)
            recipe.optimizer = optimizer
            recipe.weightDecay = weightDecay
            recipe.earlyStoppingPatience = patience == 0 ? nil : patience
            recipe.schedule = lrPatience == 0 ? .constant : .plateau(patience: lrPatience, factor: 0.5)
            return recipe
        }

        /// Where the network's first parameters come from: `--init`'s file, with random
        /// parameters (seeded) for whatever it lacks, or random parameters throughout.
        private func parameterSource(_ architecture: Architecture, transform: InputSpec) throws -> ParameterSource {
            guard let initialWeights else { return RandomParameterSource(seed: seed, initialiser: architecture.weightInitialiser) }
            let (source, missing) = try initialParameters(initialWeights, architecture: architecture, inputSize: transform.inputSize, seed: seed)
            if !missing.isEmpty { note("\(initialWeights): \(missing.count) parameters not in the file start random (\(missing.prefix(4).joined(separator: ", "))\(missing.count > 4 ? ", ..." : ""))") }
            return source
        }

        /// What the weights' metadata says about their origin.
        private func provenance(_ recipe: Recipe, trainSet: ImageFolder, validationSet: ImageFolder?) -> String {
            let phases = recipe.phases.map { "\($0.name) \($0.epochs) epochs at lr " + String(format: "%g", $0.learningRate) }.joined(separator: ", then ")
            let command = (["ecg"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            return "ECGLens ecg train, recipe \(recipe.name) (\(phases); \(recipe.optimizer.rawValue), weight decay \(recipe.weightDecay))"
                + "; data \(trainSet.directory.path) [\(trainSet.files.count) images, listing \(trainSet.listingFingerprint)]"
                + (validationSet.map { ", validation \($0.directory.path) [\($0.files.count) images, listing \($0.listingFingerprint)]" } ?? "")
                + (initialWeights.map { "; initialised from \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? "")
                + "; command: \(command)"
        }
    }
}

extension ImageFolder {
    /// `distinctFiles()` when `condition` holds, else the folder as it is.
    fileprivate func distinctFiles(if condition: Bool) throws -> ImageFolder {
        condition ? try distinctFiles() : self
    }
}

/// Writes a line to standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `ecg train --recipe`: train everything from the start, or the head and then the top blocks.
enum RecipeName: String, CaseIterable, ExpressibleByArgument {
    case scratch, finetune
}
