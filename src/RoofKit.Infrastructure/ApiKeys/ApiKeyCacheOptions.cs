namespace RoofKit.Infrastructure.ApiKeys;

public sealed class ApiKeyCacheOptions
{
    public const string SectionName = "ApiKeys";

    /// <summary>
    /// Longest a key read from the database is trusted without reading it again (CONTRACT.md §2: a few seconds at
    /// most). Changes reach the cache sooner, by notification; this bounds what a lost notification could leave
    /// behind. 0 turns the cache off: every request reads its key.
    /// </summary>
    public double CacheMaxAgeSeconds { get; set; } = 5;

    /// <summary>How often the notification connection is checked when nothing arrives on it.</summary>
    public double ListenerProbeSeconds { get; set; } = 1;
}
