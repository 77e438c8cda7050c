import TesseraPipeline
import TesseraSlide

/// The slides a distillation reads: a `SlideDataset` (a folder of slides or a manifest, whose
/// `train` / `val` column splits them), whole-slide files recognised as `WholeSlideFileName`
/// does. One OpenSlide cannot open is an error naming it when its tiles are first needed
/// (`SlideReader`).
public struct DistillDataset: Sendable {
    public typealias Slide = SlideDataset.Slide
    public typealias Failure = SlideDataset.Failure

    public let slides: [Slide]

    public var training: [Slide] { slides.filter { !$0.isValidation } }
    public var validation: [Slide] { slides.filter(\.isValidation) }

    public init(slides: [Slide]) { self.slides = slides }

    public static func open(_ path: String) throws -> DistillDataset {
        DistillDataset(slides: try SlideDataset.open(path, isWholeSlideFile: WholeSlideFileName.matches).slides)
    }
}
