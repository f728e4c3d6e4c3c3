// Shows short-lived connections: connect, send one message, read the echo, close, and again.
import java.io.DataOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class ReconnectClient {
    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8888;
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 5;

        for (int i = 1; i <= count; i++) {
            String message = "ping " + i;
            String reply;
            try (Socket socket = new Socket(host, port)) {
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                InputStream in = socket.getInputStream();
                out.write(message.getBytes(StandardCharsets.UTF_8));
                out.flush();
                byte[] buffer = new byte[1024];
                int n = in.read(buffer);
                reply = n > 0 ? new String(buffer, 0, n, StandardCharsets.UTF_8) : "";
            }
            System.out.println("Received: " + reply);
            if (!reply.equals(message)) {
                System.err.println("error: expected '" + message + "', got '" + reply + "'");
                System.exit(1);
            }
        }
        System.out.println("all " + count + " echoes matched");
    }
}
