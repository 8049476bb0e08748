import Foundation
import Logging

/// Rules over the audit log that raise security alerts (events of kind `security`, published on the
/// `security` channel):
/// - `failed_logins`: at least 5 failed log-ins for one account, or from one address, within 5 minutes;
/// - `refresh_token_reuse`: a rotated refresh token presented again (its family is revoked);
/// - `cross_tenant_access`: at least 3 requests for another tenant's resources by one user within 10 minutes;
/// - `unusual_login_hour`: a log-in at a UTC hour the user has not logged in at in the last 30 days
///   (once the user has at least 3 earlier log-ins in that time, so a first log-in is not "unusual").
struct SecurityRules: Sendable {
    let activity: ActivityRepository
    let alerts: SecurityAlertRepository
    let hub: Hub
    let logger: Logger

    static let failedLoginThreshold = 5
    static let failedLoginWindow = 300
    static let deniedThreshold = 3
    static let deniedWindow = 600
    static let baselineLogins = 3

    func check(_ entry: ActivityEntry) async {
        do {
            switch (entry.action, entry.outcome) {
            case ("auth.login", .failure):
                if let user = entry.userId {
                    let n = try await activity.recentFailures(userID: user, address: nil, within: Self.failedLoginWindow)
                    if n >= Self.failedLoginThreshold {
                        try await raise("failed_logins", key: "account:\(user.uuidString)", entry, severity: "warning", value: n, window: Self.failedLoginWindow,
                                        "\(n) failed log-ins for account \(entry.username ?? user.uuidString) within 5 minutes")
                    }
                }
                if let address = entry.address {
                    let n = try await activity.recentFailures(userID: nil, address: address, within: Self.failedLoginWindow)
                    if n >= Self.failedLoginThreshold {
                        try await raise("failed_logins", key: "address:\(address)", entry, severity: "warning", value: n, window: Self.failedLoginWindow,
                                        "\(n) failed log-ins from \(address) within 5 minutes")
                    }
                }
            case ("auth.refresh_reuse", _):
                try await raise("refresh_token_reuse", key: "session:\(entry.target ?? "?")", entry, severity: "critical", value: 1, window: 60,
                                "a rotated refresh token of \(entry.username ?? "a user") was presented again; the session was revoked")
            case ("access.cross_tenant", .denied):
                if let user = entry.userId {
                    let n = try await activity.recentDenials(userID: user, within: Self.deniedWindow)
                    if n >= Self.deniedThreshold {
                        // For administrators only: the prober's tenant must not learn that the ids exist elsewhere.
                        try await raise("cross_tenant_access", key: "user:\(user.uuidString)", entry, tenantID: .some(nil), severity: "warning", value: n,
                                        window: Self.deniedWindow,
                                        "\(entry.username ?? user.uuidString) asked \(n) times within 10 minutes for another tenant's resources")
                    }
                }
            case ("auth.login", .success):
                if let user = entry.userId {
                    var calendar = Calendar(identifier: .gregorian)
                    calendar.timeZone = TimeZone(identifier: "UTC")!
                    let hour = calendar.component(.hour, from: entry.time)
                    let history = try await activity.loginHours(userID: user, days: 30, hour: hour, excludingID: entry.id)
                    if history.total >= Self.baselineLogins, history.inHour == 0 {
                        try await raise("unusual_login_hour", key: "login:\(entry.id)", entry, severity: "info", value: Double(hour), window: 0,
                                        "\(entry.username ?? "a user") logged in at \(hour):00 UTC, an hour not used in the last 30 days")
                    }
                }
            default:
                break
            }
        } catch {
            logger.error("security rules failed", metadata: ["action": "\(entry.action)", "error": "\(error)"])
        }
    }

    private func raise(_ rule: String, key: String, _ entry: ActivityEntry, tenantID: Int?? = .none, severity: String, value: some BinaryInteger,
                       window: Int, _ message: String) async throws {
        try await raise(rule, key: key, entry, tenantID: tenantID, severity: severity, value: Double(value), window: window, message)
    }

    /// `tenantID`: the alert's owner; by default the tenant of the audit row.
    private func raise(_ rule: String, key: String, _ entry: ActivityEntry, tenantID: Int?? = .none, severity: String, value: Double, window: Int,
                       _ message: String) async throws {
        var attributes: [String: JSONValue] = ["action": .string(entry.action)]
        if let u = entry.userId { attributes["user_id"] = .string(u.uuidString) }
        if let n = entry.username { attributes["username"] = .string(n) }
        if let a = entry.address { attributes["address"] = .string(a) }
        if let r = entry.requestId { attributes["request_id"] = .string(r) }
        let (alert, isNew) = try await alerts.raise(rule: rule, key: key, tenantID: tenantID ?? entry.tenantId, severity: severity, message: message,
                                                    value: value, attributes: attributes, window: window)
        logger.warning("security alert", metadata: ["rule": "\(rule)", "alert.id": "\(alert.alertId)", "new": "\(isNew)", "message": "\(message)"])
        if let data = try? String(decoding: APIJSON.encoder.encode(alert), as: UTF8.self) {
            hub.publish(.init(channel: "security", tenantID: alert.tenantId, userID: nil, data: data))
        }
    }
}
