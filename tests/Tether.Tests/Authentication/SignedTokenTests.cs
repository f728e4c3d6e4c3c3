using System.Text;
using Tether.Authentication;
using Tether.Protocol;

namespace Tether.Tests.Authentication;

/// <summary>The built-in signed tokens: what verifies, and every way a token can be refused.</summary>
public class SignedTokenTests
{
    private static readonly byte[] Secret = "0123456789abcdef-secret"u8.ToArray();
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("sensor-42")]
    [InlineData("ünïcødé client ✓")]
    [InlineData("a.b.c")]
    public void A_token_verifies_to_the_client_id_it_carries(string clientId)
    {
        var token = SignedToken.Create(Secret, clientId, Now.AddHours(1));

        var result = SignedToken.Verify(Secret, Encoding.ASCII.GetBytes(token), Now);

        Assert.True(result.IsAccepted, result.Reason);
        Assert.Equal(clientId, result.ClientId);
    }

    [Fact]
    public void An_expired_token_is_refused_as_expired()
    {
        var token = Encoding.ASCII.GetBytes(SignedToken.Create(Secret, "c", Now.AddSeconds(10)));

        Assert.True(SignedToken.Verify(Secret, token, Now.AddSeconds(9)).IsAccepted);
        var result = SignedToken.Verify(Secret, token, Now.AddSeconds(10));
        Assert.False(result.IsAccepted);
        Assert.Equal(CloseCode.AuthExpired, result.Code);
    }

    [Fact]
    public void A_token_signed_with_another_secret_is_refused()
    {
        var token = Encoding.ASCII.GetBytes(SignedToken.Create("another secret of 16+ bytes"u8, "c", Now.AddHours(1)));

        var result = SignedToken.Verify(Secret, token, Now);

        Assert.False(result.IsAccepted);
        Assert.Equal(CloseCode.AuthFailed, result.Code);
    }

    [Fact]
    public void Changing_any_byte_of_a_token_gets_it_refused_as_failed_never_accepted()
    {
        var token = Encoding.ASCII.GetBytes(SignedToken.Create(Secret, "sensor-42", Now.AddHours(1)));
        for (var i = 0; i < token.Length; i++)
        {
            foreach (var replacement in "Ax.0_-"u8.ToArray())
            {
                if (token[i] == replacement)
                {
                    continue;
                }

                var tampered = (byte[])token.Clone();
                tampered[i] = replacement;
                var result = SignedToken.Verify(Secret, tampered, Now);
                Assert.False(result.IsAccepted, $"byte {i} set to '{(char)replacement}' was accepted");
                Assert.Equal(CloseCode.AuthFailed, result.Code);
            }
        }
    }

    [Fact]
    public void A_later_expiry_cannot_be_grafted_onto_an_old_signature()
    {
        var token = SignedToken.Create(Secret, "c", Now.AddSeconds(-1));
        var parts = token.Split('.');
        var extended = $"{parts[0]}.{parts[1]}.{Now.AddDays(1).ToUnixTimeSeconds()}.{parts[3]}";

        var result = SignedToken.Verify(Secret, Encoding.ASCII.GetBytes(extended), Now);

        Assert.Equal(CloseCode.AuthFailed, result.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("v1")]
    [InlineData("v1...")]
    [InlineData("v2.YQ.9999999999.AAAA")]
    [InlineData("v1.YQ.9999999999.not-base64!")]
    [InlineData("garbage without dots")]
    public void Malformed_tokens_are_refused(string token)
    {
        var result = SignedToken.Verify(Secret, Encoding.ASCII.GetBytes(token), Now);

        Assert.False(result.IsAccepted);
        Assert.Equal(CloseCode.AuthFailed, result.Code);
    }

    [Fact]
    public void Short_secrets_and_oversized_client_ids_are_refused_when_making_a_token()
    {
        Assert.Throws<ArgumentException>(() => SignedToken.Create("too short"u8, "c", Now));
        Assert.Throws<ArgumentException>(() => new SignedTokenAuthenticator("too short"u8));
        Assert.Throws<ArgumentException>(() => SignedToken.Create(Secret, new string('x', SignedToken.MaxClientIdLength + 1), Now));
    }
}
