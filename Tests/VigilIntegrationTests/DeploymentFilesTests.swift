import Foundation
import Testing
import VigilTesting

/// deploy/ is checked offline by scripts/validate-deploy: the manifests against the Kubernetes schemas
/// (kubernetes-validate --strict, from scripts/install-test-tools), the kustomization against the folder,
/// the generated ConfigMap against Pipelines/ and jobs/, the systemd units with systemd-analyze verify. The
/// shipped files pass; a manifest with a mistake, and a ConfigMap left behind its files, do not.
@Suite("Deployment files") struct DeploymentFilesTests {
    static let validateDeploy = CLI.packageRoot.appendingPathComponent("scripts/validate-deploy").path

    /// Runs scripts/validate-deploy (the first run of a test session may create the test-tools venv).
    static func validate(_ arguments: [String] = []) async throws -> ChildProcess.Result {
        let result = await (try ChildProcess([validateDeploy] + arguments, directory: CLI.packageRoot.path)).exited(timeout: 900)
        #expect(!result.timedOut, "scripts/validate-deploy did not finish within 900 s")
        return result
    }

    @Test func shippedDeploymentFilesAreValid() async throws {
        let result = try await Self.validate()
        #expect(result.status == 0, "scripts/validate-deploy failed:\n\(result.output)\n\(result.errors.suffix(4000))")
        #expect(result.output.contains("validate-deploy: deploy/ is valid"), "\(result.output)")
    }

    /// One mistake made in a copy of the worker's Deployment.
    struct Mistake: Sendable, CustomTestStringConvertible {
        var name: String
        /// Text of worker-deployment.yaml that occurs exactly once, and what replaces it.
        var original: String
        var replacement: String
        /// What scripts/validate-deploy must say about it.
        var message: String
        var testDescription: String { name }
    }

    static let mistakes = [
        Mistake(name: "a string where the schema wants an integer", original: "replicas: 3", replacement: "replicas: \"three\"",
                message: "spec.replicas: 'three' is not of type 'integer'"),
        Mistake(name: "an unknown field (strict)", original: "terminationGracePeriodSeconds: 60",
                replacement: "terminationGracePeriodSecond: 60", message: "'terminationGracePeriodSecond' was unexpected"),
        // kubernetes-validate only warns, with exit status 0, about a kind it has no schema for.
        Mistake(name: "a misspelt kind", original: "kind: Deployment", replacement: "kind: Deploymnet",
                message: "Couldn't find schema for kind Deploymnet"),
        // PyYAML (and so kubernetes-validate) keeps the last of two equal keys without a word.
        Mistake(name: "a duplicate key", original: "  replicas: 3\n", replacement: "  replicas: 3\n  replicas: 4\n",
                message: "duplicate key 'replicas'"),
    ]

    @Test(arguments: mistakes)
    func aBrokenManifestIsRejected(_ mistake: Mistake) async throws {
        let shipped = try String(contentsOf: CLI.packageRoot.appendingPathComponent("deploy/kubernetes/worker-deployment.yaml"),
                                 encoding: .utf8)
        try #require(shipped.components(separatedBy: mistake.original).count == 2,
                     "worker-deployment.yaml must hold '\(mistake.original)' exactly once")
        let file = try CLI.temporaryDirectory().appendingPathComponent("worker-deployment.yaml")
        try shipped.replacingOccurrences(of: mistake.original, with: mistake.replacement).write(to: file, atomically: true, encoding: .utf8)

        let result = try await Self.validate([file.path])
        #expect(result.status != 0, "scripts/validate-deploy accepted \(mistake.name):\n\(result.output)\n\(result.errors)")
        #expect(result.errors.contains(mistake.message), "\(result.errors)")
        #expect(result.errors.contains(file.path), "\(result.errors)")
        // The same file without the mistake passes: it is the mistake that was refused.
        try shipped.write(to: file, atomically: true, encoding: .utf8)
        let fixed = try await Self.validate([file.path])
        #expect(fixed.status == 0, "\(fixed.output)\n\(fixed.errors)")
    }

    /// make-configmap --check, in a copy of the repository's Pipelines/, jobs/ and deploy/kubernetes: a
    /// pipeline changed after the ConfigMap was made is caught, and making it again fixes that.
    @Test func aConfigMapBehindItsPipelinesIsCaught() async throws {
        let manager = FileManager.default
        let copy = try CLI.temporaryDirectory()
        let kubernetes = copy.appendingPathComponent("deploy/kubernetes")
        try manager.createDirectory(at: kubernetes, withIntermediateDirectories: true)
        for name in ["make-configmap", "pipelines-configmap.yaml"] {
            try manager.copyItem(at: CLI.packageRoot.appendingPathComponent("deploy/kubernetes/\(name)"), to: kubernetes.appendingPathComponent(name))
        }
        for folder in ["Pipelines", "jobs"] {
            try manager.copyItem(at: CLI.packageRoot.appendingPathComponent(folder), to: copy.appendingPathComponent(folder))
        }
        let makeConfigMap = kubernetes.appendingPathComponent("make-configmap").path
        let check = { () async throws -> ChildProcess.Result in
            await (try ChildProcess(["python3", makeConfigMap, "--check"])).exited(timeout: 60)
        }

        let untouched = try await check()
        #expect(untouched.status == 0, "\(untouched.errors)")

        let pipeline = copy.appendingPathComponent("Pipelines/people-detect.yaml")
        let text = try String(contentsOf: pipeline, encoding: .utf8)
        try (text + "# changed after the ConfigMap was made\n").write(to: pipeline, atomically: true, encoding: .utf8)
        let stale = try await check()
        #expect(stale.status != 0)
        #expect(stale.errors.contains("pipelines-configmap.yaml is out of date"), "\(stale.errors)")
        #expect(stale.errors.contains("+    # changed after the ConfigMap was made"), "\(stale.errors)")

        let made = await (try ChildProcess(["python3", makeConfigMap])).exited(timeout: 60)
        #expect(made.status == 0, "\(made.errors)")
        let again = try await check()
        #expect(again.status == 0, "\(again.errors)")
        #expect(try String(contentsOf: kubernetes.appendingPathComponent("pipelines-configmap.yaml"), encoding: .utf8)
            .contains("# changed after the ConfigMap was made"))
    }
}
