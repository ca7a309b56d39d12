import Foundation

/// The twelve standard leads, in the order a 12-lead report prints them.
public enum Lead: String, CaseIterable, Codable, Sendable {
    case i = "I", ii = "II", iii = "III", aVR, aVL, aVF
    case v1 = "V1", v2 = "V2", v3 = "V3", v4 = "V4", v5 = "V5", v6 = "V6"

    /// The precordial leads, V1 to V6.
    public static let precordial: [Lead] = [.v1, .v2, .v3, .v4, .v5, .v6]

    /// The lead vector of a measured lead (I, II, V1–V6) in the dipole frame: the lead's voltage is
    /// its dot product with the heart's dipole. Nil for III and the augmented leads, which are
    /// derived from I and II (Einthoven, Goldberger) and never measured on their own.
    ///
    /// Limb leads lie in the frontal plane (I at 0°, II at 60°). Precordial leads lie in the
    /// horizontal plane from V1 (front right, 120°) round to V6 (left, 5°), with the larger
    /// gains of electrodes close to the heart.
    var leadVector: Vector3? {
        func horizontal(_ degrees: Double, gain: Double) -> Vector3 {
            let angle = degrees * .pi / 180
            return Vector3(cos(angle) * gain, 0, sin(angle) * gain)
        }
        switch self {
        case .i: return Vector3(1, 0, 0)
        case .ii: return Vector3(0.5, 0.75.squareRoot(), 0)
        case .v1: return horizontal(120, gain: 1.1)
        case .v2: return horizontal(95, gain: 1.5)
        case .v3: return horizontal(75, gain: 1.5)
        case .v4: return horizontal(55, gain: 1.4)
        case .v5: return horizontal(30, gain: 1.2)
        case .v6: return horizontal(5, gain: 1.0)
        case .iii, .aVR, .aVL, .aVF: return nil
        }
    }
}
