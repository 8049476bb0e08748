internal import CFFmpeg
import VigilCore

extension VideoReader {
    /// Runs the send/receive loop until one picture is in `frame`; `false` when the decoder is drained
    /// or the reader was stopped. Damaged packets and pictures are counted and skipped.
    func decodeOne() throws(VigilError) -> Bool {
        var consecutiveReadErrors = 0
        var consecutiveDecodeErrors = 0
        while true {
            frame.unref()
            do throws(MediaError) {
                switch try decoder.receive(into: frame) {
                case .value:
                    let f = frame.pointer.pointee
                    if f.flags & AV_FRAME_FLAG_CORRUPT != 0 || f.decode_error_flags != 0 { damagedFrameCount += 1 }
                    return true
                case .endOfFile: return false
                case .again: break
                }
            } catch {
                // A damaged picture: count it and move on to the next packet (never spin on the error).
                noteCorrupt(error)
                consecutiveDecodeErrors += 1
                if consecutiveDecodeErrors > 1000 {
                    throw VigilError(.mediaDecode, "the decoder rejects everything; the stream is damaged", subject: url, cause: error)
                }
                if draining { continue }
            }
            if draining { return false }
            if !packetPending {
                packet.unref()
                let more: Bool
                do throws(MediaError) {
                    more = try demuxer.read(into: packet)
                    consecutiveReadErrors = 0
                } catch where error.code == FFCode.exit {
                    if monitor.reason == .timeout {
                        throw VigilError(.mediaTimeout, "no data for \(formatSeconds(options.readTimeout)); the stream stalled",
                                         subject: url, cause: error)
                    }
                    wasStopped = true
                    return false
                } catch where error.code == FFCode.invalidData && consecutiveReadErrors < 100 {
                    consecutiveReadErrors += 1
                    noteCorrupt(error)
                    continue
                } catch {
                    throw VigilError(isNetwork ? .streamLost : .mediaDecode, "reading failed", subject: url, cause: error)
                }
                if !more {
                    draining = true
                    _ = try? decoder.send(nil)
                    continue
                }
                guard Int(packet.pointer.pointee.stream_index) == streamIndex else { continue }
                // Flagged by the demuxer (e.g. MPEG-TS continuity errors): counted, and decoded anyway
                // as FFmpeg does, so the decoder can conceal the damage.
                if packet.pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 { corruptPacketCount += 1 }
            }
            do throws(MediaError) {
                // EAGAIN: the decoder has output waiting; take it first, then send this packet again.
                packetPending = try decoder.send(packet) == .again
            } catch {
                packetPending = false
                noteCorrupt(error)
            }
        }
    }

    private func noteCorrupt(_ error: MediaError) {
        corruptPacketCount += 1
        lastCorruptMessage = error.message
    }

    /// At the end of a whole file: fails when far fewer frames came out than the container declares.
    func checkComplete() throws(VigilError) {
        guard !wasStopped, !isNetwork, options.end == nil, let declared = declaredFrameCount else { return }
        // After a seek (a resumed run) the frames before the start count as seen: the last one's number says
        // how far the file goes.
        let reached = seeked ? lastIndex + 1 : decodedFrameCount
        let seen = reached + corruptPacketCount
        guard seen < declared - max(2, declared / 50) else { return }
        var message = "the file is truncated after \(reached) frames (its container declares \(declared)): "
            + "cut short, e.g. by a power loss, or damaged"
        if let lastCorruptMessage { message += " (last decoder error: \(lastCorruptMessage))" }
        throw VigilError(.mediaTruncated, message, subject: url)
    }

    /// Seeks to the keyframe at or before `start`; frames before `start` are then decoded and dropped.
    /// When the input cannot seek, everything before `start` is decoded and dropped instead.
    func seek(to start: Double, startTime: Int64, timeBase: AVRational) {
        let target = startTime + Int64((start * Double(timeBase.den) / Double(timeBase.num)).rounded(.down))
        do {
            try demuxer.seek(streamIndex: streamIndex, to: target)
            decoder.flush()
            seeked = true
        } catch {
            seeked = false
        }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}
