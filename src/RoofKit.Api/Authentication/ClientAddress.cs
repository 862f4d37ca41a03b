namespace RoofKit.Api.Authentication;

/// <summary>
/// The caller's address for the invalid-auth bucket: the TCP peer, or what a trusted proxy forwarded (the forwarded
/// headers middleware has already put that in <see cref="ConnectionInfo.RemoteIpAddress"/>). One spelling per
/// address, so that <c>::ffff:10.0.0.1</c> (a dual-stack socket) and <c>10.0.0.1</c> share a bucket.
/// </summary>
public static class ClientAddress
{
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };
}
