public import VigilCore

/// Turns the pixels of one object into a descriptor whose cosine similarity says "same object".
/// The colour-histogram embedder below is the default; a deep re-ID network behind the `dnn`
/// bridge can conform too.
public protocol AppearanceEmbedder: Sendable {
    /// Length of every descriptor.
    var dimension: Int { get }
    /// The L2-normalised descriptor of `box` (in image pixels), `nil` when the crop is unusable.
    func embed(image: FrameImage, box: BoundingBox) -> [Float]?
}

/// HSV colour histograms over horizontal body stripes (head/torso/legs keep their own colours),
/// hue x saturation bins for coloured pixels and a brightness histogram for grey ones, each stripe
/// normalised on its own, the whole L2-normalised. Samples the central part of the box to leave out
/// background at the sides.
public struct HSVStripeEmbedder: AppearanceEmbedder {
    public var stripes: Int
    public var hueBins: Int
    public var saturationBins: Int
    public var valueBins: Int
    /// Fraction of the box width kept around its centre.
    public var centralWidth: Double
    /// Sampling step in pixels (speed).
    public var step: Int

    public init(stripes: Int = 6, hueBins: Int = 8, saturationBins: Int = 3, valueBins: Int = 4,
                centralWidth: Double = 0.7, step: Int = 2) {
        self.stripes = max(1, stripes); self.hueBins = max(1, hueBins); self.saturationBins = max(1, saturationBins)
        self.valueBins = max(1, valueBins); self.centralWidth = min(max(centralWidth, 0.1), 1); self.step = max(1, step)
    }

    var binsPerStripe: Int { hueBins * saturationBins + valueBins }
    public var dimension: Int { stripes * binsPerStripe }

    public func embed(image: FrameImage, box: BoundingBox) -> [Float]? {
        guard image.format == .bgr24 || image.format == .rgb24 else { return nil }
        let margin = box.width * (1 - centralWidth) / 2
        let crop = BoundingBox(x: box.x + margin, y: box.y, width: box.width - 2 * margin, height: box.height)
            .clipped(width: Double(image.width), height: Double(image.height))
        let x0 = Int(crop.x), y0 = Int(crop.y), x1 = Int(crop.maxX), y1 = Int(crop.maxY)
        guard x1 - x0 >= 4, y1 - y0 >= stripes * 2 else { return nil }
        var hist = [Float](repeating: 0, count: dimension)
        let per = binsPerStripe
        let swapRB = image.format == .rgb24
        let height = y1 - y0
        image.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var y = y0
            while y < y1 {
                let stripe = min(stripes - 1, (y - y0) * stripes / height)
                let row = base + y * image.stride
                var x = x0
                while x < x1 {
                    let p = row + x * 3
                    let b = Float(swapRB ? p[2] : p[0]), g = Float(p[1]), r = Float(swapRB ? p[0] : p[2])
                    let maxC = max(r, g, b), minC = min(r, g, b)
                    let v = maxC / 255
                    let delta = maxC - minC
                    let s = maxC > 0 ? delta / maxC : 0
                    let bin: Int
                    if s < 0.2 || v < 0.15 {
                        bin = hueBins * saturationBins + min(valueBins - 1, Int(v * Float(valueBins)))
                    } else {
                        var h: Float
                        if maxC == r { h = (g - b) / delta } else if maxC == g { h = 2 + (b - r) / delta } else { h = 4 + (r - g) / delta }
                        if h < 0 { h += 6 }
                        let hb = min(hueBins - 1, Int(h / 6 * Float(hueBins)))
                        let sb = min(saturationBins - 1, Int((s - 0.2) / 0.8 * Float(saturationBins)))
                        bin = hb * saturationBins + sb
                    }
                    hist[stripe * per + bin] += 1
                    x += step
                }
                y += step
            }
        }
        // Each stripe sums to one (a stripe's size must not dominate), then L2 over the whole.
        for s in 0..<stripes {
            var sum: Float = 0
            for k in 0..<per { sum += hist[s * per + k] }
            if sum > 0 { for k in 0..<per { hist[s * per + k] = (hist[s * per + k] / sum).squareRoot() } }
        }
        return Appearance.normalised(hist)
    }
}

/// Descriptor arithmetic.
public enum Appearance {
    public static func normalised(_ v: [Float]) -> [Float]? {
        var norm: Float = 0
        for x in v { norm += x * x }
        guard norm > 0, norm.isFinite else { return nil }
        let inv = 1 / norm.squareRoot()
        return v.map { $0 * inv }
    }

    /// Cosine similarity of two L2-normalised descriptors.
    public static func similarity(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return 0 }
        var dot: Float = 0
        for i in 0..<a.count { dot += a[i] * b[i] }
        return Double(dot)
    }

    /// Exponential moving mean, re-normalised: `momentum` of the old descriptor is kept.
    public static func blend(_ old: [Float], _ new: [Float], momentum: Float) -> [Float] {
        guard old.count == new.count else { return new }
        var out = [Float](repeating: 0, count: old.count)
        for i in 0..<old.count { out[i] = momentum * old[i] + (1 - momentum) * new[i] }
        return normalised(out) ?? new
    }
}
