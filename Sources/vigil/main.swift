import ArgumentParser

// Temporary root command of the tracking branch; the lead's main.swift replaces it on merge.
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vigil", subcommands: [TrackCommand.self])
}

func runAsync(_ command: any AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}

do {
    var command = try Vigil.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand { try await runAsync(asyncCommand) } else { try command.run() }
} catch {
    Vigil.exit(withError: error)
}
