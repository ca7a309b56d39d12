import Testing
@testable import Training

@Test func stepScheduleDividesEveryStepSizeEpochsAsPyTorchStepLR() {
    let schedule = StepSchedule(stepSize: 3, gamma: 0.1)
    var rate: Float = 1
    var rates: [Float] = []
    for epoch in 0 ..< 7 {
        rate = schedule.learningRate(after: epoch, current: rate, validationLoss: 0)
        rates.append(rate)
    }
    let expected: [Float] = [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01]
    #expect(zip(rates, expected).allSatisfy { abs($0 - $1) < 1e-7 }, "\(rates)")
}

@Test func reduceOnPlateauMatchesPyTorchWithCooldownAndMinimum() {
    // torch.optim.lr_scheduler.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.1).
    var schedule = ReduceLROnPlateau(factor: 0.5, patience: 2, cooldown: 1, minimum: 0.1)
    let losses: [Float] = [1, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89, 0.95, 0.96, 0.97, 0.98, 0.99, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]
    var rate: Float = 1
    var rates: [Float] = []
    for (epoch, loss) in losses.enumerated() {
        rate = schedule.learningRate(after: epoch, current: rate, validationLoss: loss)
        rates.append(rate)
    }
    #expect(rates == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.1, 0.1])
}

@Test func constantScheduleKeepsTheRate() {
    #expect(ConstantSchedule().learningRate(after: 5, current: 0.3, validationLoss: 9) == 0.3)
}

@Test func earlyStoppingStopsAfterPatienceEpochsWithoutImprovementAndRemembersTheBest() {
    var stopping = EarlyStopping(patience: 2, minDelta: 0.01)
    let decisions = [1.0, 0.8, 0.795, 0.81, 0.7, 0.75, 0.71].enumerated().map { epoch, loss in
        stopping.update(validationLoss: Float(loss), epoch: epoch + 1)
    }
    #expect(decisions.map(\.improved) == [true, true, false, false, true, false, false])
    #expect(decisions.map(\.shouldStop) == [false, false, false, true, false, false, true])
    #expect(stopping.bestEpoch == 5)
    #expect(stopping.best == 0.7)
}

@Test func balancedClassWeightsFollowScikitLearn() {
    // compute_class_weight("balanced"): 60 / (4 * count); an absent class weighs nothing.
    #expect(ClassWeights.balanced(counts: [10, 30, 0, 20]) == [1.5, 0.5, 0, 0.75])
    #expect(ClassWeights.balanced(counts: [5, 5]) == [1, 1])
}
