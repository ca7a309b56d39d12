import Foundation
import Kernels
import Testing
import Tensors

/// Collects the ranges `parallelChunks` hands out, from whichever threads.
final class RangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var ranges: [Range<Int>] = []

    func append(_ range: Range<Int>) {
        lock.lock()
        ranges.append(range)
        lock.unlock()
    }

    var all: [Range<Int>] {
        lock.lock()
        defer { lock.unlock() }
        return ranges
    }
}

/// `0..<n` as floats.
func iota(_ n: Int) -> [Float] { (0..<n).map(Float.init) }

@Suite("Tensor layout ops: concat, flatten, permute, copyChannels, shapes")
struct TensorOpsTests {
    @Test("concatChannels joins NHWC tensors along the channel axis, like torch.cat(dim=1)")
    func concatChannels() throws {
        let a = randomTensor([2, 3, 4, 2], seed: 1)
        let b = randomTensor([2, 3, 4, 5], seed: 2)
        let c = randomTensor([2, 3, 4, 1], seed: 3)
        let got = try Tensor.concatChannels([a, b, c])
        var want = [Float]()
        for pixel in 0..<(2 * 3 * 4) {
            want += a.scalars[(pixel * 2)..<(pixel * 2 + 2)]
            want += b.scalars[(pixel * 5)..<(pixel * 5 + 5)]
            want += c.scalars[pixel..<(pixel + 1)]
        }
        checkClose(got, shape: [2, 3, 4, 8], want, atol: 0, rtol: 0)
        // The same through NCHW: concatenating along C is appending whole channel planes.
        let nchw = nhwcToNCHW(got.scalars, n: 2, h: 3, w: 4, c: 8)
        var planes = [Float]()
        for image in 0..<2 {
            for (t, ch) in [(a, 2), (b, 5), (c, 1)] {
                let part: [Float] = nhwcToNCHW(t.scalars, n: 2, h: 3, w: 4, c: ch)
                planes += part[(image * ch * 12)..<((image + 1) * ch * 12)]
            }
        }
        #expect(nchw == planes)
        #expect(try Tensor.concatChannels([a]).scalars == a.scalars)
    }

    @Test("concatChannels of mismatched or no tensors throws TensorError")
    func concatErrors() {
        let a = randomTensor([1, 3, 4, 2], seed: 1)
        #expect(throws: TensorError.self) { try Tensor.concatChannels([]) }
        #expect(throws: TensorError.self) { try Tensor.concatChannels([a, randomTensor([1, 3, 3, 2], seed: 2)]) }
        #expect(throws: TensorError.self) { try Tensor.concatChannels([a, randomTensor([2, 3, 4, 2], seed: 2)]) }
        #expect(throws: TensorError.self) { try Tensor.concatChannels([a, randomTensor([1, 3, 4, 2, 1], seed: 2)]) }
    }

    @Test("flatten of a 1x2x3x4 tensor: channelsLast keeps H-W-C order, channelsFirst gives C-H-W (hand-checked)")
    func flatten() throws {
        // Value at (h, w, c) is 12h + 4w + c, i.e. its NHWC offset.
        let x = try Tensor(shape: [1, 2, 3, 4], values: iota(24))
        let last = try x.flatten(order: .channelsLast)
        #expect(last.shape == [1, 24])
        #expect(last.scalars == iota(24))
        let first = try x.flatten(order: .channelsFirst)
        #expect(first.shape == [1, 24])
        #expect(first.scalars == [
            0, 4, 8, 12, 16, 20,  // c = 0: (h, w) = (0,0) (0,1) (0,2) (1,0) (1,1) (1,2)
            1, 5, 9, 13, 17, 21,  // c = 1
            2, 6, 10, 14, 18, 22,  // c = 2
            3, 7, 11, 15, 19, 23,  // c = 3
        ])
        // A batch of 2: each image is flattened on its own.
        let batch = randomTensor([2, 3, 2, 5], seed: 4)
        let flat = try batch.flatten(order: .channelsFirst)
        #expect(flat.shape == [2, 30])
        #expect(flat.scalars == nhwcToNCHW(batch.scalars, n: 2, h: 3, w: 2, c: 5))
        #expect(try randomTensor([3, 7], seed: 5).flatten(order: .channelsLast).shape == [3, 7])
        #expect(throws: TensorError.self) { try randomTensor([4], seed: 6).flatten(order: .channelsLast) }
        #expect(throws: TensorError.self) { try randomTensor([2, 3, 4], seed: 6).flatten(order: .channelsFirst) }
    }

    @Test("permuted reorders axes like NumPy's transpose", arguments: [
        ([2, 3], [1, 0]), ([2, 3, 4], [2, 0, 1]), ([2, 3, 4, 5], [0, 3, 1, 2]), ([2, 3, 4, 5], [0, 2, 3, 1]),
        ([2, 3, 4, 5], [3, 2, 1, 0]), ([3, 1, 2], [0, 1, 2]), ([5], [0]),
    ])
    func permuted(shape: [Int], axes: [Int]) throws {
        let x = randomTensor(shape, seed: 7)
        let got = try x.permuted(axes)
        #expect(got.shape == axes.map { shape[$0] })
        #expect(got.scalars == permute_reference(x.scalars, shape: shape, axes: axes))
    }

    @Test("permuted by hand: a 2x3 transpose, and invalid axes throw TensorError")
    func permutedHand() throws {
        let x = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let t = try x.permuted([1, 0])
        #expect(t.shape == [3, 2])
        #expect(t.scalars == [1, 4, 2, 5, 3, 6])
        #expect(t[2, 1] == 6 && t[0, 1] == 4)
        // NHWC → NCHW and back is the identity.
        let y = randomTensor([2, 3, 4, 5], seed: 8)
        #expect(try y.permuted([0, 3, 1, 2]).permuted([0, 2, 3, 1]).scalars == y.scalars)
        #expect(throws: TensorError.self) { try x.permuted([0]) }
        #expect(throws: TensorError.self) { try x.permuted([0, 0]) }
        #expect(throws: TensorError.self) { try x.permuted([1, 2]) }
        #expect(throws: TensorError.self) { try x.permuted([0, 1, 2]) }
    }

    @Test("copyChannels writes its channels at an offset and leaves the others untouched")
    func copyChannels() throws {
        let output = Tensor(shape: [2, 3, 2, 7], repeating: -7)
        let a = randomTensor([2, 3, 2, 3], seed: 9)
        let b = randomTensor([2, 3, 2, 2], seed: 10)
        try a.copyChannels(into: output, channelOffset: 1)
        try b.copyChannels(into: output, channelOffset: 5)
        var want = [Float](repeating: -7, count: output.count)
        for pixel in 0..<12 {
            for c in 0..<3 { want[pixel * 7 + 1 + c] = a.scalars[pixel * 3 + c] }
            for c in 0..<2 { want[pixel * 7 + 5 + c] = b.scalars[pixel * 2 + c] }
        }
        #expect(output.scalars == want)
        // Equal to concatenating with the gaps.
        let filler = { (c: Int) in Tensor(shape: [2, 3, 2, c], repeating: -7) }
        #expect(try Tensor.concatChannels([filler(1), a, filler(1), b]).scalars == want)

        #expect(throws: TensorError.self) { try a.copyChannels(into: output, channelOffset: 5) }
        #expect(throws: TensorError.self) { try a.copyChannels(into: output, channelOffset: -1) }
        #expect(throws: TensorError.self) { try a.copyChannels(into: Tensor(shape: [2, 3, 3, 7]), channelOffset: 0) }
        #expect(throws: TensorError.self) { try a.copyChannels(into: Tensor(shape: [2, 3, 2, 7, 1]), channelOffset: 0) }
        #expect(output.scalars == want, "a failed copy changes nothing")
    }

    @Test("init(shape:values:) and reshaped reject wrong shapes with TensorError")
    func shapeChecks() throws {
        #expect(throws: TensorError.shapeMismatch(expected: [2, 3], got: [5])) { try Tensor(shape: [2, 3], values: iota(5)) }
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 3], values: iota(7)) }
        #expect(throws: TensorError.self) { try Tensor(shape: [-2, -3], values: iota(6)) }
        #expect(throws: TensorError.self) { try Tensor(shape: [], values: iota(2)) }
        let scalar = try Tensor(shape: [], values: [4])
        #expect(scalar.count == 1 && scalar.rank == 0)
        let empty = try Tensor(shape: [0, 3], values: [])
        #expect(empty.count == 0)

        let x = try Tensor(shape: [2, 3], values: iota(6))
        #expect(throws: TensorError.self) { try x.reshaped([4, 2]) }
        #expect(throws: TensorError.self) { try x.reshaped([7]) }
        #expect(throws: TensorError.self) { try x.reshaped([]) }
        let r = try x.reshaped([3, 1, 2])
        #expect(r.shape == [3, 1, 2] && r.scalars == iota(6))
        #expect(r[2, 0, 1] == 5 && x[1, 2] == 5 && x[0, 1] == 1)
    }

    @Test("reshaped rejects negative dimensions whose product happens to match the count")
    func reshapedNegative() {
        let x = try! Tensor(shape: [2, 3], values: iota(6))
        #expect(throws: TensorError.self) { try x.reshaped([-2, -3]) }
        #expect(throws: TensorError.self) { try x.reshaped([-1, 2, -3]) }
    }

    @Test("flatten of an empty batch gives 0 x (H·W·C) instead of crashing")
    func flattenEmptyBatch() async {
        await #expect(processExitsWith: .success) {
            let x = Tensor(shape: [0, 2, 3, 4])
            let last = try? x.flatten(order: .channelsLast)
            let first = try? x.flatten(order: .channelsFirst)
            exit(last?.shape == [0, 24] && first?.shape == [0, 24] ? 0 : 2)
        }
    }

    @Test("The Tensor subscript rejects an index of the wrong rank or out of range (it traps on a precondition: no TensorError)")
    func subscriptWrongRank() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor(shape: [2, 3])
            _ = x[1, 1, 0]
        }
        await #expect(processExitsWith: .failure) {
            let x = Tensor(shape: [2, 3])
            _ = x[2, 0]
        }
        await #expect(processExitsWith: .failure) {
            let x = Tensor(shape: [2, 3])
            _ = x[0, -1]
        }
    }

    @Test("parallelChunks covers every index exactly once, in disjoint non-empty ranges", arguments: [
        (0, 1), (1, 1), (2, 1), (7, 1), (7, 3), (64, 64), (65, 64), (127, 64), (1000, 1), (1001, 7), (100_003, 1 << 10),
    ])
    func parallelChunksCoverage(count: Int, minimumChunk: Int) {
        let log = RangeLog()
        parallelChunks(count, minimumChunk: minimumChunk) { log.append($0) }
        let ranges = log.all.sorted { $0.lowerBound < $1.lowerBound }
        #expect(ranges.allSatisfy { !$0.isEmpty })
        var next = 0
        for range in ranges {
            #expect(range.lowerBound == next, "gap or overlap at \(next): \(ranges)")
            next = range.upperBound
        }
        #expect(next == count)
        #expect(ranges.count <= max(1, kernelThreadCount))
        if count > 0 && count < 2 * minimumChunk { #expect(ranges.count == 1, "one chunk for \(count) items") }
    }

    @Test("Tensors are values: ops never change their inputs")
    func valueSemantics() throws {
        let x = randomTensor([1, 4, 4, 2], seed: 12)
        let before = x.scalars
        _ = x.relu()
        _ = try x.adding(x, activation: .relu)
        _ = try x.maxPool2d(kernel: (2, 2), stride: (2, 2))
        _ = try x.conv2d(weight: randomTensor([3, 3, 2, 3], seed: 13), padding: .same, activation: .relu)
        _ = try x.flatten(order: .channelsFirst)
        _ = x.softmax()
        #expect(x.scalars == before)
    }
}
