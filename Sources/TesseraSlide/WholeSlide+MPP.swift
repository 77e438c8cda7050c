/// Pyramid levels by resolution: microns per pixel from the slide's own properties.
extension WholeSlide {
    /// Microns per pixel of `level`: level 0's (`openslide.mpp-x` and `-y`, their mean) times the
    /// level's downsample; nil when the slide records none (or a value that is not positive).
    public func mpp(ofLevel level: Int) -> Double? {
        guard let mpp, mpp.x > 0, mpp.y > 0, mpp.x.isFinite, mpp.y.isFinite, levels.indices.contains(level) else { return nil }
        return (mpp.x + mpp.y) / 2 * levels[level].downsample
    }

    /// The level whose microns per pixel are nearest `target`, by ratio (2 and 0.5 times the
    /// target are equally far), the finer one on a tie; nil when the slide records no mpp.
    /// (prov-gigapath's `find_level_for_target_mpp` reads TIFF resolution tags, which Aperio
    /// files leave unset, and wants a level within 0.1 µm: it finds none on .svs files.)
    public func level(nearestMPP target: Double) -> Int? {
        var best: (level: Int, ratio: Double)?
        for level in levels.indices {
            guard let mpp = mpp(ofLevel: level) else { return nil }
            let ratio = max(mpp / target, target / mpp)
            if ratio < best?.ratio ?? .infinity { best = (level, ratio) }
        }
        return best?.level
    }
}
