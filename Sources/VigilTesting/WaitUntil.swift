/// Waits until `condition` holds, checking it every `interval`. A test's wait that always ends: after
/// `timeout` it throws ``WaitTimeout`` naming `what`, which fails the test instead of hanging it.
/// The timeout is a safety net, not a measurement: no test asserts how long anything took.
public func waitUntil(_ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
                      _ condition: () throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try !condition() {
        guard clock.now < deadline else { throw WaitTimeout(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// What ``waitUntil(_:timeout:every:_:)`` throws when its condition did not come true in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "gave up after \(timeout) waiting for \(what)" }
}
