public import VigilCore

extension TrackerConfiguration {
    /// Reads the tracker keys of a `track` stage (or a `--tracker-config` file). Reports problems
    /// through `config`; does not call `finish()`, so callers can read more keys.
    public init(reading config: ConfigReader) {
        self.init()
        if let v = config.threshold("high_threshold") { highThreshold = v }
        if let v = config.threshold("low_threshold") { lowThreshold = v }
        if let v = config.threshold("new_track_threshold") { newTrackThreshold = v }
        if let v = config.threshold("match_iou") { matchIoU = v }
        if let v = config.threshold("low_match_iou") { lowMatchIoU = v }
        if let v = config.threshold("unconfirmed_match_iou") { unconfirmedMatchIoU = v }
        if let v = config.int("min_hits", in: 1...100) { minHits = v }
        if let v = config.threshold("instant_confirm_threshold") { instantConfirmThreshold = v }
        if let v = config.duration("max_age_seconds") { maxAgeSeconds = v }
        if let v = config.duration("coast_seconds") { coastSeconds = v }
        if let v = config.double("lost_buffer_scale", in: 0...2) { lostBufferScale = v }
        if let v = config.threshold("lost_match_iou") { lostMatchIoU = v }
        if let v = config.bool("fuse_score") { fuseScore = v }
        if let v = config.bool("score_adaptive_noise") { scoreAdaptiveNoise = v }
        if let v = config.classesList() { classes = v }
        if lowThreshold > highThreshold {
            config.error("low_threshold (\(lowThreshold)) must not exceed high_threshold (\(highThreshold))")
        }
        if newTrackThreshold < highThreshold {
            config.error("new_track_threshold (\(newTrackThreshold)) must be at least high_threshold (\(highThreshold)): "
                         + "only first-stage detections start tracks")
        }
        if maxAgeSeconds < 0 { config.error("max_age_seconds must not be negative") }
    }
}

extension ConfigReader {
    fileprivate func classesList() -> [String]? { stringList("classes") }
}
