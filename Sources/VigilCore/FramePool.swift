import Synchronization

/// Raw pixel memory, recycled through a ``FramePool``. Owned by exactly one ``FrameImage`` at a time.
public final class PixelStorage: @unchecked Sendable {
    public let capacity: Int
    public let bytes: UnsafeMutableRawPointer

    init(capacity: Int) {
        self.capacity = capacity
        self.bytes = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { bytes.deallocate() }
}

/// A pool of equally sized pixel buffers, so a running source allocates nothing per frame in steady
/// state: a ``FrameImage`` hands its storage back here when the last reference to it goes away.
public final class FramePool: Sendable {
    private let free: Mutex<[PixelStorage]>
    private let counters: Mutex<(allocated: Int, reused: Int)>
    /// At most this many idle buffers are kept; more are freed.
    public let maxIdle: Int

    public init(maxIdle: Int = 64) {
        self.maxIdle = maxIdle
        self.free = Mutex([])
        self.counters = Mutex((0, 0))
    }

    /// Buffers allocated so far (grows only until the pipeline's in-flight frames are covered).
    public var allocatedCount: Int { counters.withLock { $0.allocated } }
    /// Buffers handed out again from the pool.
    public var reusedCount: Int { counters.withLock { $0.reused } }

    /// An image of the given geometry, backed by recycled storage where possible.
    public func makeImage(width: Int, height: Int, format: PixelFormat) -> FrameImage {
        let stride = (width * format.bytesPerPixel + 63) & ~63
        let needed = stride * height
        let recycled: PixelStorage? = free.withLock { list in
            guard let index = list.lastIndex(where: { $0.capacity >= needed }) else { return nil }
            return list.remove(at: index)
        }
        let storage: PixelStorage
        if let recycled {
            storage = recycled
            counters.withLock { $0.reused += 1 }
        } else {
            storage = PixelStorage(capacity: needed)
            counters.withLock { $0.allocated += 1 }
        }
        return FrameImage(storage: storage, width: width, height: height, stride: stride, format: format, pool: self)
    }

    fileprivate func recycle(_ storage: PixelStorage) {
        free.withLock { list in
            if list.count < maxIdle { list.append(storage) }
        }
    }
}

/// Pixels of one decoded frame. Written once by the source that fills it, then read-only while it
/// travels through the graph (fan-out shares it); returns its storage to the pool when released.
public final class FrameImage: @unchecked Sendable {
    public let width: Int
    public let height: Int
    /// Bytes per row, at least `width * format.bytesPerPixel`.
    public let stride: Int
    public let format: PixelFormat
    private let storage: PixelStorage
    private let pool: FramePool?

    init(storage: PixelStorage, width: Int, height: Int, stride: Int, format: PixelFormat, pool: FramePool?) {
        self.storage = storage; self.width = width; self.height = height
        self.stride = stride; self.format = format; self.pool = pool
    }

    /// An unpooled image (tests, one-off conversions).
    public convenience init(width: Int, height: Int, format: PixelFormat) {
        let stride = (width * format.bytesPerPixel + 63) & ~63
        self.init(storage: PixelStorage(capacity: stride * height), width: width, height: height,
                  stride: stride, format: format, pool: nil)
    }

    deinit { pool?.recycle(storage) }

    /// The first byte of row 0. Valid for the lifetime of this image.
    public var baseAddress: UnsafeMutableRawPointer { storage.bytes }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.bytes, count: stride * height))
    }

    /// The pixel rows without stride padding, `width * bytesPerPixel * height` bytes.
    public func packedBytes() -> [UInt8] {
        let rowBytes = width * format.bytesPerPixel
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        out.withUnsafeMutableBytes { dst in
            for row in 0..<height {
                (dst.baseAddress! + row * rowBytes).copyMemory(from: storage.bytes + row * stride, byteCount: rowBytes)
            }
        }
        return out
    }
}
