import Foundation
import TesseraCore

/// What a run was started from, recorded in run.json (version 3) beside its options: a random
/// `uuid`, which every checkpoint of the run also records (a checkpoint copied from another run
/// is refused), the SHA-256 of the teacher's weights, and a digest of the slide list. A resume
/// that finds the teacher or the slides changed says what changed instead of training another run.
public struct RunIdentity: Codable, Equatable, Sendable {
    public var uuid: String
    public var teacherSHA256: String
    public var teacherSlideSHA256: String
    /// SHA-256 of the slide list (`slidesDigest`) and the number of slides in it.
    public var slidesSHA256: String
    public var slideCount: Int

    /// A new run's identity: a fresh uuid and what it is started from.
    public init(teacherSHA256: String, teacherSlideSHA256: String, slides: [String]) {
        self.init(uuid: UUID().uuidString, teacherSHA256: teacherSHA256, teacherSlideSHA256: teacherSlideSHA256, slides: slides)
    }

    /// The identity `uuid` has when started from these files; `slides` has a line per slide
    /// (whatever identifies it to the caller: its role, name and absolute path).
    public init(uuid: String, teacherSHA256: String, teacherSlideSHA256: String, slides: [String]) {
        self.uuid = uuid
        self.teacherSHA256 = teacherSHA256
        self.teacherSlideSHA256 = teacherSlideSHA256
        slidesSHA256 = Array(slides.map { $0 + "\n" }.joined().utf8).withUnsafeBytes { SHA256.hex(SHA256.digest($0)) }
        slideCount = slides.count
    }

    /// Checks the values read back from run.json.
    public func validate() throws(OptionProblem) {
        guard UUID(uuidString: uuid) != nil else { throw OptionProblem(key: "uuid", value: "'\(uuid)'", requirement: "must be a UUID") }
        for (key, hex) in [("teacherSHA256", teacherSHA256), ("teacherSlideSHA256", teacherSlideSHA256), ("slidesSHA256", slidesSHA256)]
        where RunFolder.bytes(hex: hex) == nil {
            throw OptionProblem(key: key, value: "'\(hex)'", requirement: "must be 64 hex digits")
        }
        if slideCount < 1 { throw OptionProblem(key: "slideCount", value: "\(slideCount)", requirement: "must be at least 1") }
    }

    /// What differs from the identity recorded when the run started (the uuid aside), one phrase each.
    public func changes(since recorded: RunIdentity) -> [String] {
        var changed: [String] = []
        for (what, was, now) in [("the teacher tile encoder's weights (teacherSHA256)", recorded.teacherSHA256, teacherSHA256),
                                 ("the teacher slide encoder's weights (teacherSlideSHA256)", recorded.teacherSlideSHA256, teacherSlideSHA256)]
        where was != now {
            changed.append("\(what) had SHA-256 \(was.prefix(16))…, now \(now.prefix(16))…")
        }
        if slidesSHA256 != recorded.slidesSHA256 {
            changed.append("the slides (slidesSHA256): \(recorded.slideCount) when the run started (\(recorded.slidesSHA256.prefix(16))…), "
                           + "\(slideCount) now (\(slidesSHA256.prefix(16))…)")
        }
        return changed
    }
}
