/// The four diagnostic classes ECGLens classifies, named as the data set's folders.
public enum ECGClass: String, CaseIterable, Codable, Sendable {
    case abnormalHeartbeat = "Abnormal_Heartbeat"
    case historyOfMyocardialInfarction = "History_Myocardial_Infarction"
    case myocardialInfarction = "Myocardial_Infarction"
    case normal = "Normal"
}

/// The region of the left ventricle an infarct lies in, with the leads that face it.
public enum Territory: String, CaseIterable, Codable, Sendable {
    case anterior, inferior, lateral

    /// The unit vector from the heart's centre towards the territory, in the dipole frame
    /// (x to the patient's left, y downwards, z to the front). Injury currents point along it;
    /// a dead territory removes the forces along it.
    var direction: Vector3 {
        switch self {
        case .anterior: Vector3(0.1, -0.35, 1.0).normalized
        case .inferior: Vector3(-0.25, 1.0, -0.1).normalized
        case .lateral: Vector3(1.0, -0.5, -0.1).normalized
        }
    }

    /// The leads that look at the territory: ST elevation (acute) or Q waves (old infarct) show here.
    public var facingLeads: [Lead] {
        switch self {
        case .anterior: [.v1, .v2, .v3, .v4]
        case .inferior: [.ii, .iii, .aVF]
        case .lateral: [.i, .aVL, .v5, .v6]
        }
    }

    /// The leads opposite the territory, where an acute infarct shows reciprocal ST depression.
    public var reciprocalLeads: [Lead] {
        switch self {
        case .anterior: [.ii, .iii, .aVF]
        case .inferior: [.i, .aVL]
        case .lateral: [.iii, .aVF, .v1]
        }
    }
}

/// The rhythm or conduction disorders drawn for the abnormal-heartbeat class.
public enum Arrhythmia: String, CaseIterable, Codable, Sendable {
    /// Premature ventricular beats: early, wide QRS, no P wave, discordant T, compensatory pause.
    case prematureVentricularBeats = "premature_ventricular_beats"
    /// Premature atrial beats: early, abnormal P wave, normal QRS.
    case prematureAtrialBeats = "premature_atrial_beats"
    /// Atrial fibrillation: irregularly irregular RR intervals, fibrillatory waves, no P waves.
    case atrialFibrillation = "atrial_fibrillation"
    /// Sinus bradycardia, under 55 beats per minute.
    case bradycardia
    /// Sinus tachycardia, over 105 beats per minute.
    case tachycardia
    /// First-degree AV block: PR interval over 200 ms.
    case firstDegreeAVBlock = "first_degree_av_block"
}

/// A three-component vector in the cardiac dipole frame (x left, y down, z front).
struct Vector3: Codable, Equatable, Sendable {
    var x, y, z: Double
    init(_ x: Double, _ y: Double, _ z: Double) { (self.x, self.y, self.z) = (x, y, z) }

    var length: Double { (x * x + y * y + z * z).squareRoot() }
    var normalized: Vector3 { self * (1 / length) }
    func dot(_ other: Vector3) -> Double { x * other.x + y * other.y + z * other.z }

    static func + (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x + b.x, a.y + b.y, a.z + b.z) }
    static func - (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x - b.x, a.y - b.y, a.z - b.z) }
    static func * (a: Vector3, s: Double) -> Vector3 { Vector3(a.x * s, a.y * s, a.z * s) }
}
