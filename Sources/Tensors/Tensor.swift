#if canImport(CMalloc)
import CMalloc
#endif
import Kernels

/// A dense, contiguous, row-major float32 tensor.
///
/// ECGLens keeps image tensors in NHWC layout (`N x H x W x C`): channels are the fastest-moving
/// axis, so a convolution becomes one matrix product per tile of pixels and Keras weights need no
/// transposition. PyTorch weights are transposed once, at load time.
///
/// A `Tensor` is a value: operations return new tensors and never change their inputs. The one
/// exception is code that fills a tensor it has just created (`withMutablePointer`).
public struct Tensor: @unchecked Sendable {
    /// The size of each axis, outermost first.
    public let shape: [Int]
    /// The buffer that holds the values; shared between copies of the same tensor.
    public let storage: TensorStorage

    /// The number of values (the product of `shape`).
    public var count: Int { storage.count }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// A tensor of the given shape with every value set to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
        storage.pointer.update(repeating: value, count: storage.count)
    }

    /// A tensor of the given shape holding `values` in row-major order.
    /// - Throws: `TensorError.shapeMismatch` when the number of values does not fit the shape.
    public init(shape: [Int], values: [Float]) throws {
        let expected = shape.reduce(1, *)
        guard values.count == expected, shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shapeMismatch(expected: shape, got: [values.count])
        }
        self.shape = shape
        self.storage = TensorStorage(count: expected)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: expected) }
    }

    /// A tensor of the given shape whose values are written by `fill`, which receives a pointer
    /// to `shape.reduce(1, *)` uninitialised floats and must write all of them.
    public init(shape: [Int], uninitializedFill fill: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
        try fill(storage.pointer)
    }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// Read-only access to the values.
    public func withPointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try body(storage.pointer)
    }

    /// Write access to the values. Only for a tensor the caller has just created and not shared.
    public func withMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try body(storage.pointer)
    }

    /// The same values seen with another shape of the same count.
    /// - Throws: `TensorError.shapeMismatch` when the counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard newShape.allSatisfy({ $0 >= 0 }), newShape.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(expected: shape, got: newShape)
        }
        return Tensor(shape: newShape, storage: storage)
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// The value at a multi-dimensional index (slow; for tests and small tensors).
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == rank, "index \(index) does not match shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of range for \(shape)")
            offset = offset * shape[axis] + i
        }
        return storage.pointer[offset]
    }
}

/// The memory behind a `Tensor`: 64-byte aligned so that SIMD loads never straddle cache lines.
public final class TensorStorage: @unchecked Sendable {
    /// The first value.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of values.
    public let count: Int
    /// The block `malloc` returned; `pointer` is its first 64-byte boundary.
    private let block: UnsafeMutableRawPointer

    init(count: Int) {
        _ = allocatorConfigured
        self.count = count
        // malloc's own 16-byte alignment and 64 bytes more, aligned here: an aligned allocation
        // (glibc's memalign) asks for a block 80 bytes larger than the one it keeps, so a freed
        // tensor's block never fitted the next tensor of the same size, and every forward pass
        // took fresh pages from the top of the heap for its outputs.
        block = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4 + 64, alignment: 16)
        let offset = (64 - Int(bitPattern: block) % 64) % 64
        pointer = (block + offset).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { block.deallocate() }
}

/// Set once, before the first tensor: glibc serves blocks above 128 KiB with fresh `mmap`s and
/// returns them on free, so every layer of every forward pass would page-fault its output in
/// anew (a third of small-CNN batch-8 time). Keeping large blocks in the heap lets the next
/// pass reuse them.
///
/// One arena: kept in the heap, freed blocks stay with the arena of the thread that freed them.
/// A thread arena other than the main one is a chain of 64 MiB heaps, and glibc unmaps such a
/// heap as soon as it empties, whatever `M_TRIM_THRESHOLD` says, and serves any block over
/// 64 MiB with an `mmap` it returns on free. With two arenas (the main thread's and one for the
/// inference threads) VGG16 page-faulted about 12 MB of outputs back in every pass at batch 1
/// and 200 MB at batch 8, 3-4 % of its CPU time in the kernel. One arena shares freed blocks
/// between all threads (the server's decoding, request and inference threads), and `M_TOP_PAD`
/// keeps a thread arena's heaps when a thread picked one before these settings.
private let allocatorConfigured: Void = {
    #if canImport(CMalloc)
    mallopt(M_MMAP_THRESHOLD, 1 << 30)
    mallopt(M_TRIM_THRESHOLD, 1 << 30)
    mallopt(M_TOP_PAD, 64 << 20)
    mallopt(M_ARENA_MAX, 1)
    #endif
}()

/// Applies the allocator settings above now rather than at the first tensor: `ecg` calls it
/// first, on the main thread, before any other thread picks its arena.
public func configureAllocator() {
    allocatorConfigured
}

/// Errors from tensor operations given tensors of the wrong shape.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// A tensor had `got` where `expected` was required.
    case shapeMismatch(expected: [Int], got: [Int])
    /// An operation's arguments cannot produce a valid output (for example a kernel larger than
    /// the padded input).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(expected, got): "shape mismatch: expected \(expected), got \(got)"
        case let .invalidArgument(message): message
        }
    }
}
