using System.Net;
using ConOps.Agent.Docker;

namespace ConOps.Tests.Agent;

public sealed class EngineErrorsTests
{
    [Fact]
    public void The_engine_message_is_read_whole_even_when_it_quotes()
    {
        const string body = """{"message":"Get \"https://127.0.0.1:5002/v2/\": http: server gave HTTP response to HTTPS client"}""";

        var message = EngineErrors.Message(HttpStatusCode.InternalServerError, body);

        Assert.Equal("Get \"https://127.0.0.1:5002/v2/\": http: server gave HTTP response to HTTPS client", message);
    }

    [Theory]
    [InlineData("<html>bad gateway</html>\n", "<html>bad gateway</html>")]
    [InlineData("", "502 BadGateway")]
    public void A_body_that_is_not_the_engine_json_is_shown_as_it_came(string body, string expected) =>
        Assert.Equal(expected, EngineErrors.Message(HttpStatusCode.BadGateway, body));
}
