import Kernels
import NN
import Testing
import Tensors

@Suite("Dense, softmax and activations against naive references")
struct DenseAndActivationTests {
    @Test("dense matches the reference (Keras in x out weight) for batches 1 and 3, with and without bias", arguments: [
        (1, 7, 5, true, Activation.identity), (3, 7, 5, false, .relu), (3, 33, 17, true, .relu6),
        (1, 50, 300, true, .relu), (3, 20, 64 * 4 + 3, true, .identity), (2, 1, 1, true, .identity),
        // Batches of one and two in several blocks of `denseRowsForward` (512 rows x 256 columns),
        // with a partial last block both ways and columns past the last 16-wide vector.
        (1, 2 * 512 + 7, 70, true, .relu), (2, 512 + 3, 256 + 19, false, .identity), (1, 1030, 4, true, .identity),
    ])
    func dense(batch: Int, inputs: Int, outputs: Int, hasBias: Bool, activation: Activation) throws {
        let x = randomTensor([batch, inputs], seed: 51)
        let w = randomTensor([inputs, outputs], seed: 52)
        let b = hasBias ? randomTensor([outputs], seed: 53, in: -3...3) : nil
        let got = try x.dense(weight: w, bias: b, activation: activation)
        let want = dense_reference(x.scalars, batch: batch, inputs: inputs, weight: w.scalars, outputs: outputs,
                                   bias: b?.scalars, activation: activation)
        checkClose(got, shape: [batch, outputs], want)
        let layer = Dense(weight: w, bias: b, activation: activation)
        checkClose(try layer(x), shape: [batch, outputs], want, "Dense layer")
    }

    @Test("A PyTorch Linear weight transposed to in x out gives PyTorch's x · Wᵀ + b")
    func pytorchLinearConvention() throws {
        // torch.nn.Linear(3, 2) with weight [[1, 2, 3], [4, 5, 6]] (out x in) and bias [10, 20]:
        // x = [1, 0, -1] → [1 − 3 + 10, 4 − 6 + 20] = [8, 18]; x = [1, 1, 1] → [16, 35].
        let torchWeight: [[Float]] = [[1, 2, 3], [4, 5, 6]]
        let kerasWeight = (0..<3).flatMap { i in (0..<2).map { o in torchWeight[o][i] } }  // [[1, 4], [2, 5], [3, 6]]
        #expect(kerasWeight == [1, 4, 2, 5, 3, 6])
        let x = try Tensor(shape: [2, 3], values: [1, 0, -1, 1, 1, 1])
        let y = try x.dense(weight: Tensor(shape: [3, 2], values: kerasWeight), bias: Tensor(shape: [2], values: [10, 20]))
        #expect(y.shape == [2, 2])
        #expect(y.scalars == [8, 18, 16, 35])
    }

    @Test("dense shape errors throw TensorError")
    func denseErrors() throws {
        let x = randomTensor([2, 4], seed: 1)
        #expect(throws: TensorError.self) { try x.dense(weight: randomTensor([5, 3], seed: 2)) }
        #expect(throws: TensorError.self) { try x.dense(weight: randomTensor([4, 3], seed: 2), bias: randomTensor([4], seed: 3)) }
        #expect(throws: TensorError.self) { try randomTensor([4], seed: 4).dense(weight: randomTensor([4, 3], seed: 2)) }
        #expect(throws: TensorError.self) { try x.dense(weight: randomTensor([4, 3, 1], seed: 2)) }
        #expect(throws: TensorError.self) { try randomTensor([1, 2, 2, 1], seed: 4).dense(weight: randomTensor([4, 3], seed: 2)) }
    }

    @Test("softmax matches the reference and every row sums to 1")
    func softmax() {
        let x = randomTensor([4, 3, 11], seed: 61, in: -8...8)
        let got = x.softmax()
        checkClose(got, shape: [4, 3, 11], softmax_reference(x.scalars, columns: 11), atol: 1e-6, rtol: 1e-5)
        let values = got.scalars
        for row in 0..<12 {
            let sum = values[(row * 11)..<((row + 1) * 11)].reduce(0, +)
            #expect(abs(sum - 1) < 1e-5, "row \(row) sums to \(sum)")
        }
        #expect(values.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test("softmax is stable for large inputs: [1000, 1001] → [1/(1+e), e/(1+e)]")
    func softmaxLargeInputs() throws {
        let x = try Tensor(shape: [3, 2], values: [1000, 1001, -1000, -1001, 88.8, -88.8])
        let got = x.softmax()
        #expect(got.scalars.allSatisfy { $0.isFinite })
        let e = Float(2.718281828459045)
        checkClose(got, shape: [3, 2], [1 / (1 + e), e / (1 + e), e / (1 + e), 1 / (1 + e), 1, 0], atol: 1e-6)
        let uniform = try Tensor(shape: [1, 4], values: [3e4, 3e4, 3e4, 3e4]).softmax()
        #expect(uniform.scalars == [0.25, 0.25, 0.25, 0.25])
    }

    @Test("relu and relu6 clip as defined, and leave their input unchanged")
    func reluAndRelu6() throws {
        let values: [Float] = [-100, -2, -0.5, 0, 0.5, 5.9, 6, 7, 100]
        let x = try Tensor(shape: [3, 3], values: values)
        #expect(x.relu().scalars == [0, 0, 0, 0, 0.5, 5.9, 6, 7, 100])
        #expect(x.relu6().scalars == [0, 0, 0, 0, 0.5, 5.9, 6, 6, 6])
        #expect(x.relu().shape == [3, 3])
        #expect(x.applying(.identity).scalars == values)
        #expect(x.scalars == values)
        let big = randomTensor([2, 5, 5, 3], seed: 71, in: -10...10)
        checkClose(big.relu6(), shape: big.shape, big.scalars.map { Float(activation_reference(Double($0), .relu6)) }, atol: 0, rtol: 0)
    }

    @Test("adding sums elementwise then applies the activation, for small and multi-chunk sizes", arguments: [
        ([2, 3, 4, 5], Activation.identity), ([2, 3, 4, 5], .relu), ([7], .relu6), ([3, 70_001], .relu6), ([0, 4], .relu),
    ])
    func adding(shape: [Int], activation: Activation) throws {
        let a = randomTensor(shape, seed: 81, in: -4...4)
        let b = randomTensor(shape, seed: 82, in: -4...4)
        let got = try a.adding(b, activation: activation)
        let want = zip(a.scalars, b.scalars).map { Float(activation_reference(Double($0) + Double($1), activation)) }
        checkClose(got, shape: shape, want, atol: 1e-6)
    }

    @Test("adding tensors of different shapes throws TensorError")
    func addingErrors() {
        let a = randomTensor([2, 3], seed: 1)
        #expect(throws: TensorError.self) { try a.adding(randomTensor([3, 2], seed: 2)) }
        #expect(throws: TensorError.self) { try a.adding(randomTensor([6], seed: 2)) }
    }

    @Test("The bias+activation epilogue touches only `columns` of each strided row")
    func biasActivationEpilogue() {
        let (rows, columns, stride) = (3, 4, 6)
        let bias: [Float] = [1, -1, 3, -10]
        for activation in [Activation.identity, .relu, .relu6] {
            for withBias in [true, false] {
                var values = randomValues(rows * stride, seed: 91, in: -8...8)
                let original = values
                values.withUnsafeMutableBufferPointer { v in
                    bias.withUnsafeBufferPointer { b in
                        biasActivationForward(values: v.baseAddress!, rows: rows, columns: columns, rowStride: stride,
                                              bias: withBias ? b.baseAddress! : nil, activation: activation)
                    }
                }
                var want = original
                for r in 0..<rows {
                    for j in 0..<columns {
                        let x = Double(original[r * stride + j]) + (withBias ? Double(bias[j]) : 0)
                        want[r * stride + j] = Float(activation_reference(x, activation))
                    }
                }
                checkClose(values, want, atol: 1e-6, "\(activation) bias \(withBias)")
            }
        }
    }

    /// `gemm`'s shapes: under 12 rows (CBLAS), and 12 or more (the micro-tiles) with partial row
    /// and column panels, a depth past one 512-deep slice, and more row panels than one block.
    static let gemmShapes: [(m: Int, n: Int, k: Int)] = [(5, 7, 3), (12, 32, 16), (13, 33, 515), (50, 70, 9), (700, 20, 100)]

    @Test("gemm computes row-major C = op(A)·op(B) (+ C with beta 1) for every transpose, on every kernel set",
          arguments: gemmShapes.indices)
    func gemmKernel(_ shape: Int) throws {
        let (m, n, k) = Self.gemmShapes[shape]
        let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2), c0 = randomValues(m * n, seed: 3)
        for set in KernelSet.supported {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                // Stored as op(A)ᵀ / op(B)ᵀ when transposed: a[p * m + i], b[j * k + p].
                func opA(_ i: Int, _ p: Int) -> Double { Double(transposeA ? a[p * m + i] : a[i * k + p]) }
                func opB(_ p: Int, _ j: Int) -> Double { Double(transposeB ? b[j * k + p] : b[p * n + j]) }
                var product = [Float](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k { sum += opA(i, p) * opB(p, j) }
                        product[i * n + j] = Float(sum)
                    }
                }
                for beta: Float in [0, 1] {
                    // With beta 0 the old C is never read: NaN there must not leak into the result.
                    var c = beta == 0 ? [Float](repeating: .nan, count: m * n) : c0
                    KernelSet.with(set) {
                        gemm(m: m, n: n, k: k, a: a, lda: transposeA ? m : k, transposeA: transposeA,
                             b: b, ldb: transposeB ? k : n, transposeB: transposeB, c: &c, ldc: n, beta: beta)
                    }
                    let want = beta == 0 ? product : zip(product, c0).map { $0 + $1 }
                    checkClose(c, want, atol: 1e-5 * Float(k).squareRoot(), rtol: 1e-5,
                               "\(set) \(m)x\(n)x\(k) transposeA \(transposeA) transposeB \(transposeB) beta \(beta)")
                }
            }
        }
    }
}
