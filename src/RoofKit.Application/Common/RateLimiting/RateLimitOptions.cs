namespace RoofKit.Application.Common.RateLimiting;

/// <summary>The <c>RateLimits</c> configuration section: one fixed-window rule per policy.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    public RateLimitRule Export { get; set; } = new() { PermitLimit = 60, WindowSeconds = 60 };

    public RateLimitRule List { get; set; } = new() { PermitLimit = 600, WindowSeconds = 60 };

    public RateLimitRule InvalidAuth { get; set; } = new() { PermitLimit = 30, WindowSeconds = 60 };

    public RateLimitRule For(RateLimitPolicy policy) => policy switch
    {
        RateLimitPolicy.Export => Export,
        RateLimitPolicy.List => List,
        RateLimitPolicy.InvalidAuth => InvalidAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };
}

public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }

    public int WindowSeconds { get; set; }
}

public enum RateLimitPolicy
{
    List,
    Export,
    InvalidAuth,
}
