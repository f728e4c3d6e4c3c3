// Shows the simplest TCP client: connect, send one message, print the echo, close.
import java.io.DataOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class EchoClient {
    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8888;

        try (Socket socket = new Socket(host, port)) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();

            out.write("Hello, world!".getBytes(StandardCharsets.UTF_8));
            out.flush();

            byte[] buffer = new byte[1024];
            int n = in.read(buffer);
            String reply = n > 0 ? new String(buffer, 0, n, StandardCharsets.UTF_8) : "";
            System.out.println("Received: " + reply);
        }
    }
}
