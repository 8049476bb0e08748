import Foundation
import Hummingbird
import VigilCore

extension AnalyticsRepository.PeriodReport: ResponseEncodable {}

/// `/api/v1/analytics`: what is happening now on the caller's cameras and what happened over a day, week,
/// month or year. Everything is computed from the rows of the cameras the caller sees.
struct AnalyticsController {
    let services: ServerServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("real-time/metrics", use: metrics)
        group.get("real-time/active-persons", use: activePersons)
        group.get("period", use: period)
    }

    struct Metrics: ResponseEncodable {
        var asOf: Date
        var windowSeconds: Double
        var activePersons: Int
        var activeTracks: Int
        var framesPerSecond: Double
        var camerasProcessing: Int
        var cameras: [AnalyticsRepository.CameraNow]
    }

    struct ActivePersons: ResponseEncodable {
        var asOf: Date
        var windowSeconds: Double
        var tracks: [AnalyticsRepository.ActiveTrack]
    }

    /// `window`: how far back "now" reaches, 1 s to 5 min (default 10 s).
    private static func window(_ q: Query) throws -> Double {
        guard let raw = q.parameters["window"] else { return 10 }
        guard let seconds = ConfigValueParser.duration(raw), (1...300).contains(seconds) else {
            throw APIError.badRequest("query parameter window: expected a duration from 1s to 5m, like 10s", code: "invalid_parameter")
        }
        return seconds
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Metrics {
        let caller = try context.caller()
        let q = Query(request)
        let window = try Self.window(q)
        let cameras = try await services.analytics.cameras(window: window, cameras: try q.ids("cameras"), scope: caller.scope)
        let processing = cameras.compactMap(\.framesPerSecond)
        return Metrics(asOf: Date(), windowSeconds: window, activePersons: cameras.reduce(0) { $0 + $1.activePersons },
                       activeTracks: cameras.reduce(0) { $0 + $1.activeTracks }, framesPerSecond: processing.reduce(0, +),
                       camerasProcessing: processing.count, cameras: cameras)
    }

    @Sendable func activePersons(_ request: Request, context: AppRequestContext) async throws -> ActivePersons {
        let caller = try context.caller()
        let q = Query(request)
        let window = try Self.window(q)
        let tracks = try await services.analytics.activeTracks(window: window, cameras: try q.ids("cameras"),
                                                               labels: try q.names("classes") ?? ["person"],
                                                               limit: try q.limit(default: 500, max: 1000), scope: caller.scope)
        return ActivePersons(asOf: Date(), windowSeconds: window, tracks: tracks)
    }

    @Sendable func period(_ request: Request, context: AppRequestContext) async throws -> AnalyticsRepository.PeriodReport {
        let caller = try context.caller()
        let q = Query(request)
        let period = try q.oneOf("period", AnalyticsRepository.Period.self) ?? .day
        let date = try q.time("date") ?? Date()
        return try await services.analytics.period(period, containing: date, cameras: try q.ids("cameras"), scope: caller.scope)
    }
}
