import Dispatch

/// `transform` of every element of `items`, computed on Dispatch's parallel threads, in order.
/// Each iteration writes only its own result slot, so no lock is needed. Used for per-page
/// work of a batch: decoding and checking uploads (the server's workers), reading traces (a
/// fused model).
public func concurrentMap<Element, Result>(_ items: [Element], _ transform: (Element) -> Result) -> [Result] {
    var results = [Result?](repeating: nil, count: items.count)
    results.withUnsafeMutableBufferPointer { buffer in
        let slots = UncheckedSendable(value: buffer)
        withoutActuallyEscaping(transform) { transform in
            let work = UncheckedSendable(value: (items, transform))
            DispatchQueue.concurrentPerform(iterations: items.count) { index in
                slots.value[index] = work.value.1(work.value.0[index])
            }
        }
    }
    return results.map { $0! }
}

/// Carries into `concurrentPerform` what its iterations share: a buffer whose disjoint slots
/// they write, and the inputs and function they only read.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
