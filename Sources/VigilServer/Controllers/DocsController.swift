public import Foundation
import Hummingbird
import HTTPTypes

/// `/openapi.json` (the OpenAPI 3.1 document of every endpoint, kept next to the code and checked against
/// the router by the tests), `/docs` (a readable page of it that works offline) and `/metrics`.
struct DocsController {
    func register(on router: Router<AppRequestContext>) {
        router.get("openapi.json") { _, _ in try Self.resource("openapi.json", type: "application/json") }
        router.get("docs") { _, _ in try Self.resource("docs.html", type: "text/html; charset=utf-8") }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: ServerMetrics.render())))
        }
    }

    static func resource(_ name: String, type: String) throws -> Response {
        guard let data = ServerResources.data(name) else { throw APIError.notFound(name) }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Files of `Public/`, read once.
public enum ServerResources {
    private static let cache: [String: Data] = {
        var out: [String: Data] = [:]
        for name in ["openapi.json", "docs.html"] {
            if let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Public"), let data = try? Data(contentsOf: url) {
                out[name] = data
            }
        }
        return out
    }()

    public static func data(_ name: String) -> Data? { cache[name] }

    /// The web dashboard (`Public/app`), read, hashed and compressed once.
    static let webApp = WebAppBundle.load(from: Bundle.module.url(forResource: "app", withExtension: nil, subdirectory: "Public"))
}
