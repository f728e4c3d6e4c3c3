// Shows an application heartbeat: a message every second keeps an idle-timeout server from dropping the client.
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class HeartbeatClient {
    static final byte[] MESSAGE = "heartbeat".getBytes(StandardCharsets.UTF_8);

    // TCP is a byte stream: one read may return part of the echo, so read until all of it is in.
    static String readEcho(InputStream in) throws IOException {
        byte[] buffer = new byte[1024];
        int total = 0;
        while (total < MESSAGE.length) {
            int n = in.read(buffer, total, buffer.length - total);
            if (n == -1) {
                throw new IOException("connection closed by server");
            }
            total += n;
        }
        return new String(buffer, 0, total, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8888;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;

        try (Socket socket = new Socket(host, port)) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            try {
                for (int i = 0; i <= seconds; i++) {
                    if (i > 0) {
                        Thread.sleep(1000);
                    }
                    out.write(MESSAGE);
                    out.flush();
                    System.out.println("Received: " + readEcho(in));
                }
            } catch (IOException e) {
                System.err.printf("error: %s after %.1f s%n", e.getMessage(), (System.nanoTime() - start) / 1e9);
                System.exit(1);
            }
        }
        System.out.println("still connected after " + seconds + " s");
    }
}
