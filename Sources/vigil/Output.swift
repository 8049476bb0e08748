import Foundation
import Logging
import VigilCore

/// Writes an error for a person to read on standard error.
func printError(_ error: any Error) {
    let text: String
    switch error {
    case let error as VigilCore.ValidationError: text = error.description
    case let error as VigilError: text = "error: \(error.description)"
    default: text = "error: \(error)"
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func printStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// Logs to standard error from `level` up (the long-running commands: run, serve, worker).
func bootstrapLogging(_ level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
