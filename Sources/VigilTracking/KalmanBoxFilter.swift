public import VigilCore

/// One coordinate of a constant-velocity Kalman filter: position, velocity and their 2x2 covariance.
///
/// With the measurement being the positions themselves and noise that does not couple coordinates
/// (ByteTrack's filter), the 8x8 covariance of (x, y, w, h, vx, vy, vw, vh) is block-diagonal with
/// one 2x2 block per coordinate, so four of these are the whole filter, exactly.
public struct KalmanAxis: Sendable, Hashable, Codable {
    public var position: Double
    /// Per reference frame interval (see ``KalmanBoxFilter``).
    public var velocity: Double
    public var p00: Double
    public var p01: Double
    public var p11: Double

    public init(position: Double, positionStd: Double, velocityStd: Double) {
        self.position = position; velocity = 0
        p00 = positionStd * positionStd; p01 = 0; p11 = velocityStd * velocityStd
    }

    /// Advances `steps` reference intervals (may be fractional); `q0`, `q1` are the per-interval variances.
    @inline(__always)
    public mutating func predict(steps k: Double, q0: Double, q1: Double) {
        position += velocity * k
        // P = F P F^T + k Q with F = [[1, k], [0, 1]]
        p00 += k * (2 * p01 + k * p11) + k * q0
        p01 += k * p11
        p11 += k * q1
    }

    /// Folds in a measurement of the position with variance `r`.
    @inline(__always)
    public mutating func update(measurement z: Double, variance r: Double) {
        let s = p00 + r
        let k0 = p00 / s, k1 = p01 / s
        let innovation = z - position
        position += k0 * innovation
        velocity += k1 * innovation
        p11 -= k1 * p01
        p01 *= (1 - k0)
        p00 *= (1 - k0)
    }
}

/// Constant-velocity Kalman filter on a box's centre, width and height (the BoT-SORT variant of
/// ByteTrack's filter: width instead of aspect ratio, so both sides keep their own velocity).
/// Noise is proportional to the box size, as in SORT/ByteTrack; process noise grows with elapsed
/// time, so irregular frame spacing and skipped frames are handled.
///
/// Time is measured in reference intervals (`1/30 s` by default) so the per-step noise constants
/// keep the values ByteTrack was tuned with; velocities are reported per second.
public struct KalmanBoxFilter: Sendable, Hashable, Codable {
    public var cx: KalmanAxis
    public var cy: KalmanAxis
    public var w: KalmanAxis
    public var h: KalmanAxis

    public static let positionWeight = 1.0 / 20
    public static let velocityWeight = 1.0 / 160

    public init(box: BoundingBox) {
        let pw = Self.positionWeight, vw = Self.velocityWeight
        let bw = max(box.width, 1), bh = max(box.height, 1)
        cx = KalmanAxis(position: box.centerX, positionStd: 2 * pw * bw, velocityStd: 10 * vw * bw)
        cy = KalmanAxis(position: box.centerY, positionStd: 2 * pw * bh, velocityStd: 10 * vw * bh)
        w = KalmanAxis(position: bw, positionStd: 2 * pw * bw, velocityStd: 10 * vw * bw)
        h = KalmanAxis(position: bh, positionStd: 2 * pw * bh, velocityStd: 10 * vw * bh)
    }

    public var box: BoundingBox {
        let bw = max(w.position, 1), bh = max(h.position, 1)
        return BoundingBox(x: cx.position - bw / 2, y: cy.position - bh / 2, width: bw, height: bh)
    }

    /// Advances the state by `steps` reference intervals.
    @inline(__always)
    public mutating func predict(steps k: Double) {
        guard k > 0 else { return }
        let pw = Self.positionWeight, vw = Self.velocityWeight
        let bw = max(w.position, 1), bh = max(h.position, 1)
        let qxw = (pw * bw) * (pw * bw), qvw = (vw * bw) * (vw * bw)
        let qxh = (pw * bh) * (pw * bh), qvh = (vw * bh) * (vw * bh)
        cx.predict(steps: k, q0: qxw, q1: qvw)
        cy.predict(steps: k, q0: qxh, q1: qvh)
        w.predict(steps: k, q0: qxw, q1: qvw)
        h.predict(steps: k, q0: qxh, q1: qvh)
        if w.position < 1 { w.position = 1; w.velocity = max(w.velocity, 0) }
        if h.position < 1 { h.position = 1; h.velocity = max(h.velocity, 0) }
    }

    /// Folds in a detected box. `noiseScale` multiplies the measurement variance (NSA Kalman passes
    /// `1 - score`, so confident detections pull harder).
    @inline(__always)
    public mutating func update(box: BoundingBox, noiseScale: Double = 1) {
        let pw = Self.positionWeight
        let bw = max(w.position, 1), bh = max(h.position, 1)
        let rw = (pw * bw) * (pw * bw) * noiseScale, rh = (pw * bh) * (pw * bh) * noiseScale
        cx.update(measurement: box.centerX, variance: rw)
        cy.update(measurement: box.centerY, variance: rh)
        w.update(measurement: max(box.width, 1), variance: rw)
        h.update(measurement: max(box.height, 1), variance: rh)
    }
}
