namespace RoofKit.Application.Common.Security;

/// <summary>
/// Declares the API-key scope a request needs. Read by <c>AuthorizationBehaviour</c>, so the rule
/// lives with the use case rather than in a controller.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequiresScopeAttribute(string scope) : Attribute
{
    public string Scope { get; } = scope;
}
