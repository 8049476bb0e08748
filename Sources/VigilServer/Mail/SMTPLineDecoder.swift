import NIOCore

/// Splits the server's bytes into lines (CRLF or LF, without the line end). It counts the lines it passed on
/// and keeps any partial line, so that before STARTTLS the client can check that the server sent nothing
/// past its `220` reply: plain-text bytes read before the handshake must never be taken as if they came
/// over TLS (the STARTTLS command-injection attack, CVE-2011-0411 and kin).
final class SMTPLineDecoder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = String

    /// Lines longer than this (RFC 5321 allows 512 octets per reply line) end the connection.
    static let maximumLineLength = 8192

    struct LineTooLong: Error, CustomStringConvertible {
        var description: String { "the server sent a reply line longer than \(SMTPLineDecoder.maximumLineLength) bytes" }
    }

    private var pending: ByteBuffer?
    /// Lines passed on so far.
    private(set) var linesDecoded = 0

    /// True when every byte received belongs to one of the first `consumed` lines.
    func hasNothingBeyond(consumed: Int) -> Bool {
        linesDecoded == consumed && (pending?.readableBytes ?? 0) == 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered = pending {
            buffered.writeBuffer(&incoming)
            pending = buffered
        } else {
            pending = incoming
        }
        guard var buffer = pending else { return }
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readableBytesView.startIndex
            var line = buffer.readString(length: length) ?? ""
            buffer.moveReaderIndex(forwardBy: 1)
            if line.hasSuffix("\r") { line.removeLast() }
            linesDecoded += 1
            context.fireChannelRead(wrapInboundOut(line))
        }
        if buffer.readableBytes > Self.maximumLineLength {
            pending = nil
            context.fireErrorCaught(LineTooLong())
            return
        }
        buffer.discardReadBytes()
        pending = buffer.readableBytes == 0 ? nil : buffer
    }
}
