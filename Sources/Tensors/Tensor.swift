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

    init(count: Int) {
        _ = allocatorConfigured
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// Set once, before the first tensor: glibc serves blocks above 128 KiB with fresh `mmap`s and
/// returns them on free, so every layer of every forward pass would page-fault its output in
/// anew (a third of small-CNN batch-8 time). Keeping large blocks in the heap lets the next
/// pass reuse them.
///
/// Kept in the heap, freed blocks stay with the arena of the thread that freed them, and glibc
/// gives each new thread an arena of its own up to 8 per core: a server's decoding, request and
/// inference threads then each keep their own peak. Two arenas let them reuse each other's freed
/// blocks: under `tools/load/attack.sh` the server's peak RSS fell from 1,528 to 1,360 MB.
private let allocatorConfigured: Void = {
    #if canImport(CMalloc)
    mallopt(M_MMAP_THRESHOLD, 1 << 30)
    mallopt(M_TRIM_THRESHOLD, 1 << 30)
    mallopt(M_ARENA_MAX, 2)
    #endif
}()

/// Applies the allocator settings above now rather than at the first tensor: a long-running
/// process calls it first, before its threads pick their arenas.
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
