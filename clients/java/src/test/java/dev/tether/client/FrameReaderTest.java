package dev.tether.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.util.List;

/** Reading frames from a stream: reassembly across reads, header checks before the body, the handshake phase. */
public final class FrameReaderTest {
    /** Hands out one byte per read, like a peer that sends 1-byte segments. */
    private static final class OneByteAtATime extends InputStream {
        private final ByteArrayInputStream in;

        OneByteAtATime(byte[] bytes) {
            in = new ByteArrayInputStream(bytes);
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return len == 0 ? 0 : in.read(b, off, 1);
        }
    }

    public void testReassemblesFramesFromOneByteReads() throws Exception {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(FrameCodec.encode(new Frame.Data(1L, null, "hello".getBytes())));
        stream.write(FrameCodec.encode(new Frame.Ping(42)));
        stream.write(FrameCodec.encode(new Frame.Data(2L, 7L, new byte[0])));
        FrameReader reader = new FrameReader(new OneByteAtATime(stream.toByteArray()));
        Frame.Data first = (Frame.Data) reader.read(1024, false);
        Check.equal("hello", new String(first.payload()), "first payload");
        Check.equal(1L, first.seq(), "first seq");
        Check.equal(42L, ((Frame.Ping) reader.read(1024, false)).value(), "ping value");
        Frame.Data third = (Frame.Data) reader.read(1024, false);
        Check.equal(7L, third.ack(), "third ack");
        Check.equal(null, reader.read(1024, false), "end of stream between frames");
    }

    public void testOversizedHeaderIsRejectedBeforeTheBodyIsRead() {
        // Only the header exists: the reader must judge it without waiting for (or allocating) 4 GiB.
        byte[] header = Hex.decode("03" + "00" + "ffffffff");
        FrameReader reader = new FrameReader(new ByteArrayInputStream(header));
        ProtocolException e = Check.fails(ProtocolException.class, () -> reader.read(1048576, false));
        Check.equal(CloseCodes.FRAME_TOO_LARGE, e.closeCode(), "close code");
    }

    public void testHandshakeAcceptsOnlyWelcomeOrCloseFromTheHeader() {
        byte[] data = FrameCodec.encode(new Frame.Data(null, null, new byte[0]));
        ProtocolException e = Check.fails(ProtocolException.class,
            () -> new FrameReader(new ByteArrayInputStream(data)).read(8192, true));
        Check.equal(CloseCodes.PROTOCOL_ERROR, e.closeCode(), "close code");
    }

    public void testEndInsideAFrameIsAnError() {
        byte[] frame = FrameCodec.encode(new Frame.Data(null, null, "hello".getBytes()));
        byte[] cut = java.util.Arrays.copyOf(frame, frame.length - 2);
        Check.fails(EOFException.class, () -> new FrameReader(new ByteArrayInputStream(cut)).read(1024, false));
    }

    public void testMalformedCloseNamesItsFrameType() {
        byte[] close = Hex.decode("0800" + "00000004" + "03e80000");
        ProtocolException e = Check.fails(ProtocolException.class,
            () -> new FrameReader(new ByteArrayInputStream(close)).read(1024, false));
        Check.equal(Frame.CLOSE, e.frameType(), "frame type (a malformed CLOSE is never answered, D1)");
    }

    public void testExtensionFramesAreReadWhateverTheirFlags() throws Exception {
        byte[] frame = Hex.decode("7f80" + "00000002" + "abcd");
        Frame f = new FrameReader(new ByteArrayInputStream(frame)).read(1024, false);
        Check.isTrue(f instanceof Frame.Extension, "an extension frame");
    }

    public void testAlternateEndpointExtensionRoundTrips() throws Exception {
        Frame.GoAway g = new Frame.GoAway(5000, 30000, "restarting",
            List.of(new Frame.ExtensionItem(Frame.ALTERNATE_ENDPOINT, "[::1]:7448".getBytes())));
        Frame.GoAway back = (Frame.GoAway) FrameCodec.decode(FrameCodec.encode(g), 1024);
        Check.equal("[::1]:7448", new String(back.extensions().get(0).value()), "alternate");
        Check.equal(new Endpoint("::1", 7448), Endpoint.parse("[::1]:7448"), "parsed alternate");
    }
}
