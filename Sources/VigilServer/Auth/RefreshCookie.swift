import Foundation
import Hummingbird
import HTTPTypes

/// The web app's refresh token: an `HttpOnly`, `SameSite=Strict` cookie (`Secure` under TLS) limited to
/// `/api/v1/auth`, so the page's scripts hold only the short-lived access token, in memory. The app marks
/// its auth requests with `X-Vigil-Client: web`; a header no other site's page can send without a CORS
/// preflight, which this server refuses to foreign origins, so a forged refresh cannot use the cookie.
enum RefreshCookie {
    static let name = "vigil_refresh"
    static let path = "/api/v1/auth"
    static let header = HTTPField.Name("X-Vigil-Client")!

    static func isWebClient(_ request: Request) -> Bool { request.headers[header] == "web" }

    static func set(_ token: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(token); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func clear(secure: Bool) -> String { set("", maxAge: 0, secure: secure) }

    /// The cookie's value in the request's `Cookie` header(s), if any.
    static func value(in request: Request) -> String? {
        for line in request.headers[values: .cookie] {
            for pair in line.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }
}
