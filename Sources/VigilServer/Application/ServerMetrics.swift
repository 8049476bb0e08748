import CoreMetrics
import Prometheus

/// The process's Prometheus registry, installed as the swift-metrics backend on first use (once per
/// process: swift-metrics allows one bootstrap). Hummingbird's request metrics, the WebSocket hub's and
/// anything else recorded through swift-metrics land here; `/metrics` renders it in the text format.
enum ServerMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { label, dimensions in
            (prometheusName(label), dimensions.map { (prometheusName($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Hummingbird's OpenTelemetry-style names in Prometheus' conventions.
    static func prometheusName(_ label: String) -> String {
        switch label {
        case "hb.requests": return "vigil_http_requests_total"
        case "hb.request.errors": return "vigil_http_request_errors_total"
        case "http.server.request.duration": return "vigil_http_request_duration_seconds"
        case "http.server.active_requests": return "vigil_http_active_requests"
        default:
            return String(label.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        }
    }

    static func render() -> String { registry.emitToString() }
}
