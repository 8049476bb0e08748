import VigilCore
import VigilExport
import VigilPipeline
import VigilTesting

let testRegistry = StageRegistry(TestKinds.all + [JSONLinesSinkSpec.self])

func load(_ yaml: String, environment: [String: String] = [:]) throws -> PipelineSpec {
    try PipelineLoader(registry: testRegistry, environment: environment).load(text: yaml, file: "p.yaml")
}

/// The diagnostics of a pipeline that must not validate, as "line:column: message".
func diagnostics(_ yaml: String, environment: [String: String] = [:]) -> [String] {
    do {
        _ = try load(yaml, environment: environment)
        return []
    } catch let error as ValidationError {
        return error.diagnostics.map { d in
            d.location.map { "\($0.line):\($0.column): \(d.message)" } ?? d.message
        }
    } catch {
        return ["unexpected error: \(error)"]
    }
}

func uniqueLogName(_ prefix: String = "log") -> String { "\(prefix)-\(UInt64.random(in: 0...UInt64.max))" }
