using RoofKit.Application.Common.Security;

namespace RoofKit.Application.Common.Interfaces;

/// <summary>The caller of the current request, as the authentication handler established it.</summary>
public interface ICurrentApiKey
{
    ApiKeyIdentity? Identity { get; }
}
