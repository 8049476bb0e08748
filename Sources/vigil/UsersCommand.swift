import ArgumentParser
import Foundation
import Logging
import VigilCore
import VigilServer
import VigilStore

/// `vigil users`: accounts of `vigil serve` from the command line.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Create accounts and read the development mail outbox.",
        discussion: """
        Examples:
          vigil users create --role admin --username alice --email alice@example.com
          vigil users outbox
        """,
        subcommands: [UsersCreateCommand.self, UsersOutboxCommand.self])
}

struct UsersCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an active account; prints a generated password once (there are no default passwords).")

    @OptionGroup var connection: DbConnectionOptions
    @Option(help: "admin, supervisor, operator, viewer, driver or user.") var role: String
    @Option(help: "Log-in name.") var username: String
    @Option(help: "E-mail address.") var email: String
    @Option(help: "Tenant id (default: 1, the default tenant).") var tenant = 1
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of generating one.") var passwordStdin = false

    func run() async throws {
        guard let role = Role(rawValue: role) else {
            printError(VigilError(.invalidArgument, "--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))"))
            throw ExitCode.failure
        }
        var password = AccountAdministration.generatePassword()
        if passwordStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                printError(VigilError(.invalidArgument, "no password on standard input"))
                throw ExitCode.failure
            }
            password = line
        }
        let chosen = password
        try await connection.withDB { db in
            try await Migrator(database: db).migrate()
            let user = try await AccountAdministration(database: db).create(username: username, email: email, password: chosen, role: role, tenantID: tenant)
            print("created \(role.rawValue) \(user.username) (\(user.id)) in tenant \(user.tenantID)")
            if !passwordStdin { print("password (shown once): \(chosen)") }
        }
    }
}

struct UsersOutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Show mail kept instead of sent (the server has no VIGIL_SMTP_URL): development only.")

    @OptionGroup var connection: DbConnectionOptions
    @Option(help: "Only mail to this address.") var to: String?
    @Option(help: "How many of the newest messages.") var limit = 10

    func run() async throws {
        try await connection.withDB { db in
            let messages = try await OutboxRepository(database: db).latest(recipient: to, limit: limit)
            if messages.isEmpty { print("the outbox is empty") }
            for m in messages {
                print("#\(m.id) \(m.createdAt.formatted(.iso8601)) to \(m.recipient)\nSubject: \(m.subject)\n\n\(m.body)\n")
            }
        }
    }
}
