#if canImport(Glibc)
import Foundation
import Glibc
import Tensors
import XCTest

/// `configureAllocator` (glibc only): a large tensor freed on a worker thread leaves its pages to
/// the next one, so that a network's every forward pass does not page-fault its outputs in anew.
final class AllocatorTests: XCTestCase {
    /// Minor page faults of the calling thread so far (not the process's: tests on other threads
    /// fault pages in too).
    private static func minorFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (Linux), which Swift's Glibc module leaves out
        return usage.ru_minflt
    }

    /// The page faults of making and dropping a second 16 MiB tensor after a first, on a new
    /// thread where a 56 MiB tensor lives throughout (as a model's weights do): it fills most of a
    /// 64 MiB heap, so that the 16 MiB ones go past it.
    private static func faultsOfSecondTensor() -> Int {
        let faults = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { faults.deallocate() }
        let done = DispatchSemaphore(value: 0)
        let box = UnsafeSendablePointer(faults)
        Thread {
            let resident = Tensor(shape: [14 << 20], repeating: 1)
            func makeAndDrop() -> Float {
                let tensor = Tensor(shape: [4 << 20], repeating: 2)
                return tensor[tensor.count - 1]
            }
            var check = makeAndDrop()
            let before = minorFaults()
            check += makeAndDrop()
            box.pointer.pointee = check == 4 && resident[resident.count - 1] == 1 ? minorFaults() - before : -1
            done.signal()
        }.start()
        done.wait()
        return faults.pointee
    }

    /// Before 2026-12-03 the second tensor faulted in all its 4,096 pages again, for two reasons:
    /// a thread arena's heap past the first was unmapped when it emptied (two arenas, no top pad),
    /// and a block from `memalign` never fitted the next tensor of the same size (`TensorStorage`).
    func testLargeTensorFreedOnAWorkerThreadIsReusedWithoutPageFaults() {
        configureAllocator()
        let faults = Self.faultsOfSecondTensor()
        XCTAssertGreaterThanOrEqual(faults, 0, "the tensors did not hold their values")
        XCTAssertLessThan(faults, 256, "the second 16 MiB tensor faulted in \(faults) pages")
    }
}

/// Carries the result pointer into the test's thread, which alone writes it before signalling.
private struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int>
    init(_ pointer: UnsafeMutablePointer<Int>) { self.pointer = pointer }
}
#endif
