// Shows an idle timeout from the client's side: after one exchange it stays silent until the server closes it.
import java.io.DataOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

public class SilentClient {
    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8888;
        double maxWait = args.length > 2 ? Double.parseDouble(args[2]) : 60;

        try (Socket socket = new Socket(host, port)) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();

            out.write("Hello".getBytes(StandardCharsets.UTF_8));
            out.flush();
            byte[] buffer = new byte[1024];
            int n = in.read(buffer);
            System.out.println("Received: " + (n > 0 ? new String(buffer, 0, n, StandardCharsets.UTF_8) : ""));

            long start = System.nanoTime();
            socket.setSoTimeout((int) (maxWait * 1000));
            try {
                while (in.read(buffer) != -1) {
                    // anything else the server sends is ignored; -1 means it closed the connection
                }
            } catch (SocketTimeoutException e) {
                System.err.printf("error: the server did not close the connection within %.0f s%n", maxWait);
                System.exit(1);
            } catch (SocketException e) {
                // a reset is a close too
            }
            System.out.printf("closed by server after %.1f s%n", (System.nanoTime() - start) / 1e9);
        }
    }
}
