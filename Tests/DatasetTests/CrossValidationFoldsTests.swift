import Determinism
import Datasets
import Foundation
import Tensors
import Testing

@Suite("Grouped cross-validation folds")
struct CrossValidationFoldsTests {
    /// 300 files in 120 groups of 1-4 distinct images (some images stored twice), 4 classes with
    /// 50 %, 25 %, 15 % and 10 % of the groups.
    static func groups(seed: UInt64 = 7) -> (group: [Int], image: [Int], label: [Int]) {
        var generator = SplitMix64(seed: seed)
        var group: [Int] = [], image: [Int] = [], label: [Int] = []
        var nextImage = 0
        for g in 0..<120 {
            let draw = generator.next() % 20
            let classOfGroup = draw < 10 ? 0 : draw < 15 ? 1 : draw < 18 ? 2 : 3
            for _ in 0...Int(generator.next() % 4) {
                for _ in 0...Int(generator.next() % 2) {  // the image once or twice (a copy)
                    group.append(g); image.append(nextImage); label.append(classOfGroup)
                }
                nextImage += 1
            }
        }
        return (group, image, label)
    }

    @Test("no group crosses folds, and every file is held out exactly once")
    func groupsStayInOneFold() {
        let (group, image, label) = Self.groups()
        let folds = CrossValidationFolds(groupOfFile: group, imageOfFile: image, labelOfFile: label, classCount: 4, k: 5, seed: 3)
        var foldOfGroup: [Int: Int] = [:]
        for (file, g) in group.enumerated() {
            #expect(foldOfGroup[g, default: folds.foldOfFile[file]] == folds.foldOfFile[file], "group \(g) crosses folds")
            foldOfGroup[g] = folds.foldOfFile[file]
        }
        let heldOut = (0..<5).flatMap { folds.heldOut($0) }
        #expect(heldOut.sorted() == Array(group.indices), "each file held out once")
        for fold in 0..<5 {
            #expect(Set(folds.heldOut(fold)).isDisjoint(with: folds.training(fold)))
            #expect(folds.heldOut(fold).count + folds.training(fold).count == group.count)
            // Nothing held out shares a group or an image with the files its model trains on.
            let trainingGroups = Set(folds.training(fold).map { group[$0] }), trainingImages = Set(folds.training(fold).map { image[$0] })
            #expect(folds.heldOut(fold).allSatisfy { !trainingGroups.contains(group[$0]) && !trainingImages.contains(image[$0]) })
        }
    }

    @Test("each class's distinct images are spread evenly, within one group's size")
    func stratified() {
        let (group, image, label) = Self.groups()
        let folds = CrossValidationFolds(groupOfFile: group, imageOfFile: image, labelOfFile: label, classCount: 4, k: 5, seed: 3)
        for c in 0..<4 {
            let total = Set(image.indices.filter { label[$0] == c }.map { image[$0] }).count
            #expect(folds.imagesPerFold.reduce(0) { $0 + $1[c] } == total)
            for fold in 0..<5 {
                // Groups hold at most 4 distinct images, so a fold cannot be off the target by more.
                #expect(abs(Double(folds.imagesPerFold[fold][c]) - Double(total) / 5) <= 4, "class \(c) fold \(fold): \(folds.imagesPerFold)")
            }
        }
    }

    @Test("the same seed gives the same folds; another seed other folds")
    func deterministic() {
        let (group, image, label) = Self.groups()
        let a = CrossValidationFolds(groupOfFile: group, imageOfFile: image, labelOfFile: label, classCount: 4, k: 5, seed: 3)
        let b = CrossValidationFolds(groupOfFile: group, imageOfFile: image, labelOfFile: label, classCount: 4, k: 5, seed: 3)
        let c = CrossValidationFolds(groupOfFile: group, imageOfFile: image, labelOfFile: label, classCount: 4, k: 5, seed: 4)
        #expect(a == b)
        #expect(a.foldOfFile != c.foldOfFile)
    }

    @Test("the split's fractions and the general shares assign groups alike")
    func splitPlanSharesMatchFractions() {
        let (group, image, label) = Self.groups()
        var groupImages = Array(repeating: [0, 0, 0, 0], count: 120)
        var seen = Set<Int>()
        for file in group.indices where seen.insert(image[file]).inserted { groupImages[group[file]][label[file]] += 1 }
        let fractions = SplitFractions(validation: 0.15, test: 0.2)!
        let bySplit = SplitPlan.assign(groupImages: groupImages, fractions: fractions, seed: 9)
        let byShare = SplitPlan.assign(groupImages: groupImages, shares: [fractions.train, 0.15, 0.2], seed: 9)
        #expect(bySplit.map { SplitName.allCases.firstIndex(of: $0)! } == byShare)
    }

    @Test("folds of a real split keep copies and near duplicates together")
    func foldsOfADatasetSplit() throws {
        let root = try SplitTests.makeSource()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try ImageFolder(directory: root)
        let split = DatasetSplit(folder: folder, fingerprints: try ImageFingerprint.compute(folder.files.map(\.url)),
                                 fractions: SplitFractions(validation: 0, test: 0)!, seed: 0)
        let folds = CrossValidationFolds(split, k: 4, seed: 0)
        for (index, file) in split.files.enumerated() {
            let copies = split.files.indices.filter { split.files[$0].image == file.image }
            #expect(copies.allSatisfy { folds.foldOfFile[$0] == folds.foldOfFile[index] }, "\(file.path) and its copies")
        }
        // 44 distinct images (24/12/8), 4 folds: 6/3/2 per class each.
        #expect(folds.imagesPerFold.allSatisfy { $0 == [6, 3, 2] }, "\(folds.imagesPerFold)")
    }
}
