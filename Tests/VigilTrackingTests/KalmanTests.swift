import Testing
import VigilCore
@testable import VigilTracking

@Test func kalmanLearnsAConstantVelocityAndPredictsAcrossGaps() {
    var f = KalmanBoxFilter(box: BoundingBox(x: 100, y: 50, width: 40, height: 100))
    // 3 px per reference interval to the right.
    for k in 1...30 {
        f.predict(steps: 1)
        f.update(box: BoundingBox(x: 100 + 3 * Double(k), y: 50, width: 40, height: 100))
    }
    #expect(abs(f.cx.velocity - 3) < 0.05)
    #expect(abs(f.cy.velocity) < 0.05)
    let before = f.cx.p00
    f.predict(steps: 10) // a gap of ten intervals
    #expect(abs(f.box.x - (100 + 3 * 40)) < 1.0)
    #expect(f.cx.p00 > before, "uncertainty grows while unobserved")
    // Fractional steps compose like whole ones for the mean.
    var a = f, b = f
    a.predict(steps: 2)
    b.predict(steps: 0.5); b.predict(steps: 1.5)
    #expect(abs(a.cx.position - b.cx.position) < 1e-9)
}

@Test func lifecycleStateMachine() {
    var life = TrackLifecycle(createdAt: 0, minHits: 3)
    #expect(life.state == .tentative)
    #expect(life.matched(at: 0.1) == nil)
    #expect(life.matched(at: 0.2) == .confirmed)
    #expect(life.missed(at: 0.3, maxAge: 1) == .lost)
    #expect(life.missed(at: 0.9, maxAge: 1) == nil)
    #expect(life.matched(at: 1.0) == .reactivated)
    #expect(life.state == .confirmed)
    #expect(life.missed(at: 1.1, maxAge: 1) == .lost)
    #expect(life.expire(at: 1.95, maxAge: 1) == nil, "max_age counts from the last match (t = 1.0)")
    #expect(life.expire(at: 2.05, maxAge: 1) == .removed)
    var young = TrackLifecycle(createdAt: 0, minHits: 2)
    #expect(young.missed(at: 0.1, maxAge: 5) == .removed, "a tentative track dies on its first miss")
}
