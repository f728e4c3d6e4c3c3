package dev.tether.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** Reads frames from a byte stream, checking each header before it reads (or allocates) the body. */
public final class FrameReader {
    private final InputStream in;
    private final byte[] header = new byte[FrameCodec.HEADER_SIZE];

    public FrameReader(InputStream in) {
        this.in = in;
    }

    /**
     * Reads the next frame under the body limit {@code maxBody}. In the handshake only WELCOME and CLOSE are
     * accepted (judged from the header). Returns null on an end of stream between frames.
     */
    public Frame read(long maxBody, boolean handshake) throws IOException, ProtocolException {
        int got = readFully(header);
        if (got == 0) {
            return null;
        }
        if (got < header.length) {
            throw new EOFException("the connection ended inside a frame header");
        }
        int type = header[0] & 0xFF;
        int flags = header[1] & 0xFF;
        long length = ((header[2] & 0xFFL) << 24) | ((header[3] & 0xFFL) << 16) | ((header[4] & 0xFFL) << 8)
            | (header[5] & 0xFFL);
        if (handshake && type != Frame.WELCOME && type != Frame.CLOSE) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                "the server's first frame is " + FrameCodec.typeName(type) + ", not WELCOME or CLOSE");
        }
        FrameCodec.checkHeader(type, flags, length, maxBody);
        byte[] body = new byte[(int) length];
        if (readFully(body) < body.length) {
            throw new EOFException("the connection ended inside a " + FrameCodec.typeName(type) + " frame");
        }
        return FrameCodec.decodeBody(type, flags, body);
    }

    private int readFully(byte[] target) throws IOException {
        int done = 0;
        while (done < target.length) {
            int n = in.read(target, done, target.length - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }
}
