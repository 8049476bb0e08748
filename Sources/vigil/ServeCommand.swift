import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VigilCore
import VigilJobs
import VigilServer
import VigilStore

/// `vigil serve`: the REST + WebSocket API over the results database.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP and WebSocket API (JWT, roles, tenants, audit log, OpenAPI at /openapi.json, metrics at /metrics).",
        discussion: """
        The database is --database-url, else $DATABASE_URL, else the embedded server under .vigil/postgres;
        its schema is migrated at start. Create the first administrator with `vigil users create --role admin`.

        Environment: VIGIL_JWT_SECRET (else a secret generated once in .vigil/jwt-secret, mode 0600),
        VIGIL_SMTP_URL (smtp://user:password@host:587, STARTTLS; else mail goes to the outbox: `vigil users outbox`),
        VIGIL_CORS_ORIGINS (comma-separated origins allowed to call the API from a browser).

        Examples:
          vigil serve
          vigil serve --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem
          vigil serve --no-worker          # jobs run on `vigil worker` machines only
        """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (with --tls-key: serve HTTPS and WSS).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("database-url"), help: "Connection string (default: $DATABASE_URL, else the embedded server).") var databaseURL: String?
    @Option(name: .customLong("max-body"), help: "Largest accepted request body in bytes.") var maxBody = 1 << 20
    @Option(name: .customLong("request-budget"), help: "Requests per minute per access token.") var requestBudget = 1200
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info
    @Option(help: ArgumentHelp("Folder of the pipelines processing tasks name (workers read the same path).", valueName: "DIR"))
    var pipelines = "Pipelines"
    @Option(name: .customLong("export-retention"), help: ArgumentHelp("How long finished export files stay downloadable (30m, 24h, 7d).",
                                                                      valueName: "DURATION"))
    var exportRetention = "24h"
    @Option(name: .customLong("media-root"), help: ArgumentHelp(
        "Folder that relative evidence paths and camera URLs are read from: the workers' working folder, shared when they run elsewhere (default: this one).",
        valueName: "DIR"))
    var mediaRoot: String?
    @Flag(name: .customLong("no-worker"), help: "Run no embedded worker (jobs are run by `vigil worker` processes elsewhere).")
    var noWorker = false
    @OptionGroup(title: "Embedded worker") var worker: WorkerOptions

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ArgumentParser.ValidationError("--tls-cert and --tls-key go together") }
        if !(0...65535).contains(port) { throw ArgumentParser.ValidationError("--port must be 0 to 65535") }
        if requestBudget < 1 { throw ArgumentParser.ValidationError("--request-budget must be at least 1") }
        guard let retention = ConfigValueParser.duration(exportRetention), retention >= 1 else {
            throw ArgumentParser.ValidationError("--export-retention: a duration of at least 1s, such as 30m or 24h")
        }
        if !noWorker { try worker.check() }
    }

    func run() async throws {
        bootstrapLogging(logLevel)
        let logger = Logger(label: "vigil.serve")
        let environment = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration(host: host, port: port, tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey,
                                                allowedOrigins: (environment["VIGIL_CORS_ORIGINS"] ?? "").split(separator: ",")
                                                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                                                maxBodyBytes: maxBody, smtpURL: environment["VIGIL_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 })
        configuration.limits.requestsPerToken = .init(buckets: [.init(requestBudget, per: .seconds(60))])
        configuration.pipelinesDirectory = pipelines
        configuration.exportRetention = ConfigValueParser.duration(exportRetention) ?? configuration.exportRetention
        if let mediaRoot { configuration.media.root = URL(fileURLWithPath: mediaRoot).standardizedFileURL.path }
        do {
            let secret = try SecretFile.jwtSecret()
            let url = try await StoreLocation.resolve(databaseURL, logger: logger)
            try await Database.check(url, logger: logger)
            let database = Database(url: url, logger: logger, maxConnections: configuration.databaseConnections)
            let server = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                defer { group.cancelAll() }
                let applied = try await Migrator(database: database).migrate()
                if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
                try await PartitionManager(database: database).createAhead()
                if try await Database.count(users: database) == 0 {
                    logger.notice("no users yet: create the first administrator with `vigil users create --role admin --username NAME --email ADDRESS`")
                }
                if configuration.smtpURL == nil {
                    logger.warning("VIGIL_SMTP_URL is not set: mail (sign-up codes) is NOT sent but kept in the outbox; `vigil users outbox` shows it. Development only.")
                }
                let app = try await VigilServerApplication(configuration: configuration, database: database, jwtSecret: secret, logger: logger)
                let scheme = tlsCert == nil ? "http" : "https"
                let application = try app.application { port in
                    // Standard output may be a pipe (tests, supervisors): write the line unbuffered.
                    FileHandle.standardOutput.write(Data(("vigil serve: listening on \(scheme)://\(host):\(port) "
                        + "(API /api/v1, docs /docs, OpenAPI /openapi.json, metrics /metrics)\n").utf8))
                }
                var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: application)]
                // One machine is one command: the server runs jobs too unless told otherwise.
                if !noWorker { services.append(.init(service: worker.worker(database: database, logger: logger))) }
                let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                              logger: logger))
                try await group.run()
                return ()
            }
            _ = server
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }
}

extension Database {
    static func count(users database: Database) async throws -> Int {
        try await database.query("SELECT count(*) FROM users", binding: [], doing: "counting users").first?.first?.int ?? 0
    }
}
