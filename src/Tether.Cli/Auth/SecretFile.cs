using Tether.Authentication;

namespace Tether.Cli.Auth;

/// <summary>
/// Reads a token secret: the file's bytes, less trailing whitespace (so that <c>echo</c> and editors' final newlines do
/// not change the key). Make one with <c>head -c 32 /dev/urandom | base64 &gt; secret</c>.
/// </summary>
internal static class SecretFile
{
    public static byte[] Read(string path, string option)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{option}: {FileProblem.Describe(path, ex, "read")}");
        }

        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r' or (byte)' ' or (byte)'\t')
        {
            length--;
        }

        if (length < SignedToken.MinSecretLength)
        {
            throw new CliException($"{option}: {path} holds {length} bytes; a secret needs at least {SignedToken.MinSecretLength}");
        }

        return bytes[..length];
    }
}
