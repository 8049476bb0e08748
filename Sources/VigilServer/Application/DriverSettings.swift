import Foundation
import VigilConfig

/// A driver's calibration (`dms_calibrations`): the open-eye EAR and the neutral head pose their
/// pipeline compares each frame with, measured by a session or set by hand.
struct DriverCalibration: Codable, Sendable {
    var driverId: UUID
    var earBaseline: Double
    var yawNeutral: Double
    var pitchNeutral: Double
    /// `measured` or `manual`.
    var source: String
    /// The session that measured it.
    var sessionId: Int?
    var updatedAt: Date
    var updatedBy: UUID?
}

/// A driver's thresholds and enabled rules (`dms_configurations`), each one a variable of the driver
/// pipeline: what the driver set and, for the rest, the file's defaults.
struct DriverConfiguration: Codable, Sendable {
    var driverId: UUID
    /// Effective thresholds by name (``DriverThreshold``).
    var thresholds: [String: Double]
    /// The pipeline file's defaults, by the same names.
    var defaults: [String: Double]
    var enabledRules: [String]
    /// Every rule of the pipeline that can be enabled or disabled.
    var rules: [String]
    /// nil: nothing set for this driver, all defaults.
    var updatedAt: Date?
    var updatedBy: UUID?
}

/// The thresholds of `Pipelines/driver-monitoring.yaml` a driver's configuration may set: each is the
/// file's variable `DMS_<NAME>` and a column of `dms_configurations` (whose CHECK holds the same range).
enum DriverThreshold: String, CaseIterable, Sendable {
    case drowsinessRatio = "drowsiness_ratio"
    case drowsinessSeconds = "drowsiness_seconds"
    case yawnMar = "yawn_mar"
    case yawnSeconds = "yawn_seconds"
    case noFaceSeconds = "no_face_seconds"
    case headTurnDegrees = "head_turn_degrees"
    case headTurnSeconds = "head_turn_seconds"

    var variable: String { "DMS_" + rawValue.uppercased() }
    var column: String { rawValue }

    var range: ClosedRange<Double> {
        switch self {
        case .drowsinessRatio: 0.3...0.95
        case .drowsinessSeconds, .yawnSeconds: 0.2...30
        case .yawnMar: 0.2...2
        case .noFaceSeconds: 0.5...60
        case .headTurnDegrees: 5...90
        case .headTurnSeconds: 0.2...60
        }
    }
}

/// What the driver pipeline file offers a driver's instance: its thresholds' defaults and its switchable
/// rules (`DMS_<RULE>_ENABLED`), read from the file's `${NAME:-default}` references, so the file stays the
/// one place they are written.
struct DriverPipelineVariables: Sendable {
    var defaults: [String: Double]
    var rules: [String]

    init(pipeline: String, in directory: String) throws {
        let references = EnvironmentInterpolation.references(in: try PipelineTemplate.text(pipeline, in: directory).text)
        var defaults: [String: Double] = [:]
        for threshold in DriverThreshold.allCases {
            if let fallback = references.first(where: { $0.name == threshold.variable })?.fallback, let value = Double(fallback) {
                defaults[threshold.rawValue] = value
            }
        }
        self.defaults = defaults
        rules = references.compactMap { ref in
            guard ref.name.hasPrefix("DMS_"), ref.name.hasSuffix("_ENABLED") else { return nil }
            return ref.name.dropFirst(4).dropLast(8).lowercased()
        }
    }

    /// The variables of one session's instance: the subject, the calibration (none: the file measures one),
    /// the configured thresholds and rules. A calibration session measures with every rule off.
    func values(driver: UUID, kind: DriverSession.Kind, calibration: DriverCalibration?, configuration: DriverConfiguration) -> [String: String] {
        var values = ["DRIVER_ID": driver.uuidString.lowercased()]
        if kind == .monitoring, let calibration {
            values["DMS_EAR_BASELINE"] = String(calibration.earBaseline)
            values["DMS_YAW_NEUTRAL"] = String(calibration.yawNeutral)
            values["DMS_PITCH_NEUTRAL"] = String(calibration.pitchNeutral)
        }
        for threshold in DriverThreshold.allCases {
            if let value = configuration.thresholds[threshold.rawValue] { values[threshold.variable] = String(value) }
        }
        for rule in rules {
            let on = kind == .monitoring && configuration.enabledRules.contains(rule)
            values["DMS_\(rule.uppercased())_ENABLED"] = on ? "true" : "false"
        }
        return values
    }
}
