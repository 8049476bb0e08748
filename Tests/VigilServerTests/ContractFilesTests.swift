import Foundation
import Testing

/// The contracts the tests validate against are copies, committed in `Contracts/`, of the shared data's
/// `contracts/` (a fresh clone has no shared data beside it). Where the mirror of the shared data is
/// named (`$VIGIL_MIRROR`, as for samples and models; CI names it), the copies must equal the originals.
@Suite struct ContractFilesTests {
    static let copies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Contracts")
    static let originals: URL? = ProcessInfo.processInfo.environment["VIGIL_MIRROR"].flatMap { $0.isEmpty ? nil : $0 }
        .map { URL(fileURLWithPath: $0).appendingPathComponent("contracts") }

    @Test(.enabled(if: originals.map { FileManager.default.fileExists(atPath: $0.path) } ?? false,
                   "no $VIGIL_MIRROR with contracts/ to compare with"))
    func copiesEqualTheSharedContracts() throws {
        let originals = try #require(Self.originals)
        let names = try FileManager.default.contentsOfDirectory(atPath: originals.path).filter { $0.hasSuffix(".json") }
        #expect(!names.isEmpty)
        for name in names {
            let copy = try? Data(contentsOf: Self.copies.appendingPathComponent(name))
            #expect(copy == (try Data(contentsOf: originals.appendingPathComponent(name))), "Contracts/\(name) differs from the mirror's contracts/\(name)")
        }
    }
}
