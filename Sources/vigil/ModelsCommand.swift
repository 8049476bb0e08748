import ArgumentParser
import Foundation
import VigilCore
import VigilVision

/// `vigil models list|verify`: the models folder (`VIGIL_MODELS`, default `./models`) and its `models.yaml`.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List and verify the detector models.",
        subcommands: [List.self, Verify.self]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "Models folder (default: $VIGIL_MODELS or ./models).")
        var models: String?
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the models of models.yaml and whether their files are present.")
        @OptionGroup var options: Options

        func run() async throws {
            let registry = try ModelRegistry(directory: options.models)
            print("models in \(registry.manifestPath)")
            for entry in registry.entries {
                let missing = entry.files.filter { !FileManager.default.fileExists(atPath: registry.path(of: $0)) }
                let classes = (try? registry.classNames(of: entry))?.count
                print("\(entry.id)  \(entry.format.rawValue)/\(entry.layout.rawValue)  \(entry.inputWidth)x\(entry.inputHeight)"
                      + "  \(entry.letterbox ? "letterbox" : "stretch")  classes: \(classes.map(String.init) ?? "?")"
                      + "  files: \(entry.files.joined(separator: ", "))"
                      + (missing.isEmpty ? "" : "  MISSING: \(missing.joined(separator: ", "))"))
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every file against its pinned SHA-256 and load each model with OpenCV.")
        @OptionGroup var options: Options
        @Argument(help: "Model ids (default: all).")
        var ids: [String] = []

        func run() async throws {
            let registry = try ModelRegistry(directory: options.models)
            var failures = 0
            for id in ids.isEmpty ? registry.entries.map(\.id) : ids {
                let started = ContinuousClock.now
                do {
                    if let entry = registry.entries.first(where: { $0.id == id }), entry.layout.yolo == nil {
                        try registry.verifyFaceModel(id)
                        let elapsed = ContinuousClock.now - started
                        print("ok      \(id)  (face model, \(entry.layout.rawValue) output, "
                              + "verified and loaded in \(elapsed.formatted(.units(allowed: [.milliseconds]))))")
                        continue
                    }
                    let detector = try DNNDetector(try registry.configuration(for: id))
                    let elapsed = ContinuousClock.now - started
                    print("ok      \(id)  (\(detector.classCount) classes, \(detector.layout.rawValue) output, "
                          + "verified and loaded in \(elapsed.formatted(.units(allowed: [.milliseconds]))))")
                } catch {
                    failures += 1
                    print("FAILED  \(id): \(error)")
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }
}
