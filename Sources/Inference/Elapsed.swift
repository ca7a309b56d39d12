import Dispatch

extension DispatchTime {
    /// Milliseconds from `start` to this instant (0 when `start` is later): the one conversion
    /// behind every timing ECGLens reports (prediction timings, server logs, benchmarks).
    public func milliseconds(since start: DispatchTime) -> Double {
        uptimeNanoseconds >= start.uptimeNanoseconds ? Double(uptimeNanoseconds - start.uptimeNanoseconds) / 1e6 : 0
    }
}
