import Foundation
import TesseraFormats

/// The options as every checkpoint of a run records them (`RunFolder.checkpointOptionsKey`), and
/// what changed since: run.json edited after the run started would make a resume train another
/// run than the checkpoint's, so the resume names each changed key and stops.
extension DistillationOptions {
    /// run.json's keys whose values differ from `recorded`, one phrase each ("'lr' was 0.001, is
    /// now 0.002"); `steps` aside, which a resume may change (`--steps`).
    public func changes(since recorded: DistillationOptions) throws -> [String] {
        let (now, was) = (try members(), try recorded.members())
        return Set(now.keys).union(was.keys).subtracting(["steps"]).sorted().compactMap { key in
            now[key] == was[key] ? nil : "'\(key)' was \(was[key] ?? "unset"), is now \(now[key] ?? "unset")"
        }
    }

    /// The options as JSON text (keys sorted).
    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decoded(_ text: String) throws -> DistillationOptions {
        try JSONDecoder().decode(DistillationOptions.self, from: Data(text.utf8))
    }

    /// Each key's value as JSON text.
    private func members() throws -> [String: String] {
        let json = try Array(encoded().utf8).withUnsafeBytes { try JSONParser.parse($0, path: "options") }
        guard case .object(let members) = json else { return [:] }
        return Dictionary(members.map { ($0.key, $0.value.serialized()) }, uniquingKeysWith: { $1 })
    }
}
