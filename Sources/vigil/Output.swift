import Foundation
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
